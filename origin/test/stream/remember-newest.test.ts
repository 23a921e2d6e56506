import { describe, expect, it } from "vitest";
import { rememberNewest } from "../../src/stream/remember-newest.js";

describe("rememberNewest", () => {
  it("keeps at most maxEntries, dropping the entry written longest ago", () => {
    const map = new Map<string, number>();
    rememberNewest(map, "a", 1, 2);
    rememberNewest(map, "b", 2, 2);
    // Rewriting "a" makes it the newest: "b" is now the oldest and goes first.
    rememberNewest(map, "a", 3, 2);
    rememberNewest(map, "c", 4, 2);
    expect([...map]).toEqual([
      ["a", 3],
      ["c", 4],
    ]);
  });
});
