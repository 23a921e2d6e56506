import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = (id: string) => ({ ns: "t", set: "s", key: id });

describe("LMDB store specifics", () => {
  it("keeps acknowledged writes across a restart", async () => {
    const path = join(dir, "durable");
    const first = new LmdbStore({ path });
    await first.put(key("a"), { v: 1 });
    await first.operate(key("a"), [{ op: "add", bin: "v", value: 41 }]);
    await first.close();
    const second = new LmdbStore({ path });
    const record = await second.get(key("a"));
    expect(record?.bins.v).toBe(42);
    expect(record?.gen).toBe(2);
    await second.close();
  });

  it("sweeps expired records in the background, and only those", async () => {
    let now = 1_000_000;
    const store = new LmdbStore({
      path: join(dir, "sweep"),
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    await store.put(key("short"), { v: 1 }, { ttl: 10 });
    await store.put(key("rewritten"), { v: 1 }, { ttl: 10 });
    await store.put(key("forever"), { v: 1 });
    // Rewriting with a longer TTL must move the record out of the earlier sweep.
    await store.put(key("rewritten"), { v: 2 }, { ttl: 100 });
    now += 11_000;
    expect(await store.get(key("short"))).toBeNull();
    expect(await store.sweepExpired()).toBe(1);
    expect(await store.sweepExpired()).toBe(0);
    expect((await store.get(key("rewritten")))?.bins.v).toBe(2);
    expect((await store.get(key("forever")))?.bins.v).toBe(1);
    now += 100_000;
    expect(await store.sweepExpired()).toBe(1);
    expect(await store.get(key("rewritten"))).toBeNull();
    await store.close();
  });
});
