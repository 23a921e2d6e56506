import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import { NUMBER_MAP_EXTENSION } from "../../src/store/lmdb/number-map-extension.js";
import { spyOnSweepRounds } from "./support/sweep-transactions.js";

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

  it("sweeps more expired records than one sweep batch in one sweep, a bounded transaction at a time", async () => {
    let now = 1_000_000;
    const store = new LmdbStore({
      path: join(dir, "sweep-many"),
      now: () => now,
      sweepIntervalMs: 60_000,
      sweepBatch: 10,
    });
    const ids = Array.from({ length: 45 }, (_, i) => `due${i}`);
    for (const id of ids) await store.put(key(id), { v: 1 }, { ttl: 10 });
    await store.put(key("later"), { v: 1 }, { ttl: 1_000 });
    now += 11_000;
    const transaction = spyOnSweepRounds(store);
    expect(await store.sweepExpired()).toBe(45);
    // 10, 10, 10, 10 and 5 index entries: a round below the limit ends the sweep.
    expect(transaction).toHaveBeenCalledTimes(5);
    transaction.mockRestore();
    expect(await store.batchGet(ids.slice(0, 3).map(key))).toEqual([null, null, null]);
    expect(await store.sweepExpired()).toBe(0);
    expect((await store.get(key("later")))?.bins.v).toBe(1);
    await store.close();
  });

  it("reads binary bins back intact when many records share decode chunks, held past later reads", async () => {
    const store = new LmdbStore({ path: join(dir, "chunks") });
    // Different sizes (some above the chunked size), so records land at every offset of a chunk.
    const bytesOf = (i: number) =>
      Uint8Array.from(
        { length: 16 + ((i * 97) % 3000) + (i % 7 === 0 ? 6000 : 0) },
        (_, j) => (i * 31 + j) % 251,
      );
    const ids = Array.from({ length: 200 }, (_, i) => i);
    for (const i of ids) await store.put(key(`bin${i}`), { z: bytesOf(i), n: i, s: `x${i}` });
    const first = await store.batchGet(ids.map((i) => key(`bin${i}`)));
    // Later reads (batch, single, scan) must not change what earlier reads returned.
    const again = await store.batchGet(
      ids.map((i) => key(`bin${199 - i}`)),
      ["z", "n"],
    );
    const one = await store.get(key("bin7"));
    const scanned = await store.scan("t", "s", ["z", "n"]);
    const sameBytes = (value: unknown, i: number) =>
      value instanceof Uint8Array && Buffer.compare(value, bytesOf(i)) === 0;
    for (const i of ids) {
      const a = first[i]?.bins;
      expect(a && [sameBytes(a.z, i), a.n, a.s]).toEqual([true, i, `x${i}`]);
      const b = again[199 - i]?.bins;
      expect(b && [sameBytes(b.z, i), b.n, Object.keys(b).sort()]).toEqual([true, i, ["n", "z"]]);
    }
    expect(sameBytes(one?.bins.z, 7)).toBe(true);
    const fromScan = scanned.filter((r) => typeof r.bins.n === "number");
    expect(fromScan).toHaveLength(200);
    for (const record of fromScan) {
      expect(sameBytes(record.bins.z, record.bins.n as number)).toBe(true);
    }
    await store.close();
  });
});

describe("LMDB number maps (block encoding of large maps of numbers)", () => {
  const numbers = (count: number, value: (i: number) => number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `${String(i * 7).padStart(10, "0")}:it-${i}`,
        value(i),
      ]),
    );

  it("stores a large map keyed by data in the block encoding (msgpack ext 0x4e)", async () => {
    const path = join(dir, "number-maps-format");
    const store = new LmdbStore({ path });
    await store.put(key("cv"), { cv: numbers(40, (i) => i + 0.5) });
    // The stored bytes (white box): a turned-off encoding would still read back equal.
    const records = (store as unknown as { records: { getBinary(key: unknown): Uint8Array } })
      .records;
    const bytes = records.getBinary(["t", "s", "cv"]);
    const extAt = bytes.findIndex(
      (byte, i) => byte === 0xc8 && bytes[i + 3] === NUMBER_MAP_EXTENSION,
    );
    expect(extAt).toBeGreaterThanOrEqual(0);
    await store.close();
  });

  it("reads back every map as written, block-encoded or not, in the same key order", async () => {
    const path = join(dir, "number-maps");
    const bins = {
      // Qualifies: ≥ 16 numbers under printable ASCII keys (integers, doubles, negatives, extremes).
      cv: numbers(40, (i) => (i % 3 === 0 ? i : -i * 1.25e-3 + (i === 5 ? 1e300 : 0))),
      // Do not qualify: a non-ASCII key, a value that is not a number, too few entries.
      accented: { ...numbers(20, (i) => i), "0000000001:café": 1 },
      mixed: { ...numbers(20, (i) => i), "0000000002:x": "text" },
      small: numbers(3, (i) => i / 3),
    };
    const writer = new LmdbStore({ path });
    await writer.put(key("maps"), bins);
    await writer.operate(key("maps"), [
      { op: "mapAdd", bin: "cv", key: "0000000000:it-0", value: 0.5, float: true },
    ]);
    await writer.close();
    const reader = new LmdbStore({ path });
    const read = (await reader.get(key("maps")))?.bins;
    const expected = { ...bins, cv: { ...bins.cv, "0000000000:it-0": 0.5 } };
    expect(read).toEqual(expected);
    for (const name of Object.keys(bins)) {
      expect(Object.keys(read?.[name] as object)).toEqual(
        Object.keys(expected[name as keyof typeof expected]),
      );
    }
    await reader.close();
  });
});
