import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const items = (id: string) => ({ ns: "t", set: "items", key: id });
const users = (id: string) => ({ ns: "t", set: "users", key: id });

/** Two stores on one environment: the second stands in for another process or thread. */
function pair(name: string): [LmdbStore, LmdbStore] {
  const path = join(dir, name);
  return [new LmdbStore({ path }), new LmdbStore({ path })];
}

describe("LMDB read cache (per-set versions)", () => {
  it("serves a repeated read from the cache, and a write to another set keeps it", async () => {
    const [reader, writer] = pair("hit");
    await writer.put(items("a"), { price: 10, tags: ["x"] });
    const [first] = await reader.batchGet([items("a")]);
    const [second] = await reader.batchGet([items("a")]);
    // The very same decoded object: no lookup, no decode.
    expect(second?.bins).toBe(first?.bins);
    await writer.put(users("u"), { seen: 1 });
    expect((await reader.get(items("a")))?.bins).toBe(first?.bins);
    await Promise.all([reader.close(), writer.close()]);
  });

  it("sees every write to the set made through another store on the environment", async () => {
    const [reader, writer] = pair("invalidate");
    await writer.put(items("a"), { price: 10 });
    expect((await reader.get(items("a")))?.bins.price).toBe(10);
    expect(await reader.get(items("new"))).toBeNull();

    // Polled: a write through another store handle can reach this handle's read snapshot a
    // moment after the writer's promise resolves (lmdb-js renews a handle's read transaction
    // on its next turn; ~1 in 10 runs read the old snapshot once). What the cache must never
    // do is keep serving the old record after that: each poll would then time out.
    const poll = { timeout: 2_000, interval: 5 };
    await writer.put(items("a"), { price: 11 });
    await writer.put(items("new"), { price: 1 });
    await expect
      .poll(async () => {
        const [a, created] = await reader.batchGet([items("a"), items("new")]);
        return [a?.bins.price, a?.gen, created?.bins.price];
      }, poll)
      .toEqual([11, 2, 1]);

    await writer.operateMany([
      { key: items("a"), operations: [{ op: "add", bin: "price", value: 5 }] },
    ]);
    await expect.poll(async () => (await reader.get(items("a")))?.bins.price, poll).toBe(16);
    await writer.remove(items("new"));
    await expect.poll(() => reader.get(items("new")), poll).toBeNull();
    await Promise.all([reader.close(), writer.close()]);
  });

  it("sees a write made by another process", async () => {
    const path = join(dir, "process");
    const reader = new LmdbStore({ path });
    const seed = new LmdbStore({ path });
    await seed.put(items("a"), { price: 10 });
    await seed.close();
    expect((await reader.get(items("a")))?.bins.price).toBe(10);
    const store = pathToFileURL(
      join(import.meta.dirname, "../../src/store/lmdb/lmdb-store.ts"),
    ).href;
    const script = `
      const { LmdbStore } = await import(${JSON.stringify(store)});
      const other = new LmdbStore({ path: ${JSON.stringify(path)} });
      await other.put({ ns: "t", set: "items", key: "a" }, { price: 12 });
      await other.close();`;
    execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: "pipe",
    });
    // lmdb-js renews its read snapshot on a timer after a read (reads without the cache too);
    // the new snapshot has the new version. Polled, as above, instead of one fixed wait.
    await expect
      .poll(async () => (await reader.get(items("a")))?.bins.price, { timeout: 2_000, interval: 5 })
      .toBe(12);
    await reader.close();
  });

  it("hands out cached records frozen, so no caller can change another's read", async () => {
    const [store] = pair("frozen");
    await store.put(items("a"), { price: 10, tags: ["x"], counts: { a: 1 } });
    const record = await store.get(items("a"));
    expect(() => {
      (record?.bins as Record<string, unknown>).price = 11;
    }).toThrow(TypeError);
    const tags = record?.bins.tags as string[];
    expect(() => tags.push("y")).toThrow(TypeError);
    expect((await store.get(items("a")))?.bins).toEqual({
      price: 10,
      tags: ["x"],
      counts: { a: 1 },
    });
    // Writes build new records from the stored bytes, never from the frozen copy.
    await store.operate(items("a"), [{ op: "mapAdd", bin: "counts", key: "a", value: 1 }]);
    expect((await store.get(items("a")))?.bins.counts).toEqual({ a: 2 });
    await store.close();
  });

  it("hides a cached record once its TTL has passed", async () => {
    let now = 1_000_000;
    const store = new LmdbStore({ path: join(dir, "ttl"), now: () => now });
    await store.put(items("a"), { price: 10 }, { ttl: 10 });
    expect(await store.get(items("a"))).not.toBeNull();
    now += 11_000;
    expect(await store.get(items("a"))).toBeNull();
    expect(await store.batchGet([items("a")])).toEqual([null]);
    await store.close();
  });

  it("holds at most readCacheRecords records, and none when it is 0", async () => {
    const path = join(dir, "bounded");
    const bounded = new LmdbStore({ path, readCacheRecords: 3 });
    const uncached = new LmdbStore({ path, readCacheRecords: 0 });
    await bounded.put(items("seed"), { v: 0 });
    for (let i = 0; i < 5; i++) await bounded.put(items(String(i)), { v: i });
    const keys = [0, 1, 2, 3, 4].map((i) => items(String(i)));
    const read = await bounded.batchGet(keys);
    expect(read.map((r) => r?.bins.v)).toEqual([0, 1, 2, 3, 4]);
    // The oldest made room: the newest three are hits, the first is read (and decoded) again.
    const newest = await bounded.batchGet([keys[4], keys[3], keys[2]].map((k) => k ?? items("")));
    expect(newest.map((r) => r?.bins)).toEqual([read[4]?.bins, read[3]?.bins, read[2]?.bins]);
    expect(newest.every((r, i) => r?.bins === read[4 - i]?.bins)).toBe(true);
    const [oldest] = await bounded.batchGet([items("0")]);
    expect(oldest?.bins).not.toBe(read[0]?.bins);
    expect(oldest?.bins).toEqual({ v: 0 });
    const [x] = await uncached.batchGet([items("0")]);
    const [y] = await uncached.batchGet([items("0")]);
    expect(y?.bins).not.toBe(x?.bins);
    expect(y?.bins).toEqual({ v: 0 });
    await Promise.all([bounded.close(), uncached.close()]);
  });
});
