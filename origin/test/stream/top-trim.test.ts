import { describe, expect, it } from "vitest";
import { decayedValue, topKey } from "../../src/features/layout.js";
import { splitTopKey } from "../../src/features/storage-read.js";
import type { BinValue } from "../../src/store/port.js";
import { keysToDrop, TOP_TRIM_ABOVE, TOP_TRIM_TO } from "../../src/stream/top-trim.js";

const HALF_LIFE = 3600;
const NOW = 1_800_000_000_000;

/** The plain definition: sort entries by decayed score (stable), drop all after the best 2n. */
function reference(map: { [key: string]: BinValue }, n: number): string[] | null {
  const entries = Object.entries(map);
  if (entries.length <= TOP_TRIM_ABOVE * n) return null;
  const scored = entries.map(([key, stored]) => {
    const parsed = splitTopKey(key);
    const score =
      parsed && typeof stored === "number"
        ? decayedValue(stored, parsed.period, NOW, HALF_LIFE)
        : Number.NEGATIVE_INFINITY;
    return { key, score };
  });
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(TOP_TRIM_TO * n).map((entry) => entry.key);
}

function seeded(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

describe("keysToDrop", () => {
  it("leaves a map within 4n entries alone", () => {
    const map = Object.fromEntries(
      Array.from({ length: 4 * 5 }, (_, i) => [topKey(10, `i${i}`), i]),
    );
    expect(keysToDrop(map, 5, HALF_LIFE, NOW)).toBeNull();
    expect(keysToDrop(undefined, 5, HALF_LIFE, NOW)).toBeNull();
    expect(keysToDrop([1, 2], 5, HALF_LIFE, NOW)).toBeNull();
  });

  it("drops the same keys as a stable sort by decayed score, ties and stray keys included", () => {
    const period = Math.floor(NOW / (HALF_LIFE * 1000 * 32));
    for (let seed = 1; seed <= 40; seed++) {
      const next = seeded(seed);
      const n = 1 + next(20);
      const size = 4 * n + 1 + next(3 * n);
      const map: { [key: string]: BinValue } = {};
      for (let i = 0; i < size; i++) {
        const kind = next(20);
        // Few distinct values: many ties around the cut.
        const value = 1 + next(4);
        if (kind === 0) map[`stray${i}`] = value;
        else if (kind === 1) map[topKey(period, `s${i}`)] = "not a number";
        else map[topKey(period - next(2), `m${i}`)] = value;
      }
      const dropped = keysToDrop(map, n, HALF_LIFE, NOW);
      expect(dropped, `seed ${seed}`).not.toBeNull();
      expect([...(dropped ?? [])].sort(), `seed ${seed}`).toEqual(
        [...(reference(map, n) ?? [])].sort(),
      );
      expect(size - (dropped?.length ?? 0)).toBe(TOP_TRIM_TO * n);
      // The key list a caller already has (the processor counts entries with it) drops the same.
      expect(keysToDrop(map, n, HALF_LIFE, NOW, Object.keys(map)), `seed ${seed}`).toEqual(dropped);
    }
  });
});
