import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyOperations } from "../../src/store/lmdb/apply-operations.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import {
  NUMBER_MAP_EXTENSION,
  NumberMap,
  withNumberMaps,
} from "../../src/store/lmdb/number-map-extension.js";
import { WritableNumberMap } from "../../src/store/lmdb/writable-number-map.js";
import { type Bins, type Operation, StoreError } from "../../src/store/port.js";

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-writable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = (id: string) => ({ ns: "t", set: "s", key: id });

/** A small seeded generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const topKey = (i: number) => `${String(42 + (i % 3)).padStart(10, "0")}:item-${i}`;
/** Keys a plain object treats specially, or the block layout cannot hold. */
const ODD_KEYS = [
  "toString",
  "constructor",
  "__proto__",
  "hasOwnProperty",
  "123",
  "0",
  "4294967294",
  "4294967295",
  "0000000042:café",
  `0000000042:${"x".repeat(300)}`,
  "",
];

function randomOperation(next: () => number): Operation {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const someKey = () => (next() < 0.04 ? pick(ODD_KEYS) : topKey(Math.floor(next() * 70)));
  const roll = next();
  if (roll < 0.45) {
    const value = next() < 0.5 ? Math.floor(next() * 5) + 1 : next() * 3 - 1;
    return { op: "mapAdd", bin: "cv", key: someKey(), value, float: true };
  }
  if (roll < 0.55) return { op: "mapPut", bin: "cv", key: someKey(), value: next() * 10 };
  if (roll < 0.7) {
    const keys = Array.from({ length: 1 + Math.floor(next() * 12) }, someKey);
    return { op: "mapRemoveKeys", bin: "cv", keys };
  }
  if (roll < 0.72) return { op: "mapRemoveBelow", bin: "cv", key: topKey(Math.floor(next() * 40)) };
  if (roll < 0.8) return { op: "mapSize", bin: "cv" };
  if (roll < 0.86) return { op: "read", bin: "cv" };
  if (roll < 0.88) return { op: "mapPut", bin: "cv", key: someKey(), value: "text" };
  if (roll < 0.9) return { op: "listPush", bin: "cv", values: ["x"] };
  if (roll < 0.92) return { op: "mapPutItems", bin: "cv", items: { [someKey()]: 7 } };
  if (roll < 0.96) {
    // The decayed_top trim: keys span periods 42-44 (an hour's half-life, 32 per period).
    const above = 4 + Math.floor(next() * 50);
    const keep = 1 + Math.floor(next() * above);
    const now = (44 * 32 + next() * 8) * 3_600_000;
    return { op: "mapTrimTop", bin: "cv", above, keep, halfLifeSeconds: 3600, now };
  }
  return { op: "add", bin: "n", value: 1 };
}

const isRead = (operation: Operation) => operation.op === "read" || operation.op === "mapSize";

function bigMap(next: () => number): { [key: string]: number } {
  // From counter-map size (a few buckets) to co-visitation size (scanned vs hashed lookups).
  const count = 2 + Math.floor(next() * 78);
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [topKey(i * 2), Math.floor(next() * 100) / 4]),
  );
}

/** The bins a record should hold: the plain-object semantics of `applyOperations`. */
function expectedOperate(
  bins: Bins,
  operations: Operation[],
): { bins: Bins; reads: Bins } | StoreError {
  const copy = structuredClone(bins);
  try {
    return { reads: structuredClone(applyOperations(copy, operations)), bins: copy };
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
}

function storedBytes(store: LmdbStore, id: string): Uint8Array {
  const records = (store as unknown as { records: { getBinary(key: unknown): Uint8Array } })
    .records;
  return records.getBinary(["t", "s", id]);
}

/** Whether `bytes` hold a block map: an ext 8 (small maps) or ext 16 header of its type. */
function hasBlockMap(bytes: Uint8Array): boolean {
  return bytes.some(
    (byte, i) =>
      (byte === 0xc7 && bytes[i + 2] === NUMBER_MAP_EXTENSION) ||
      (byte === 0xc8 && bytes[i + 3] === NUMBER_MAP_EXTENSION),
  );
}

describe("operate on block-encoded number maps (changed in place, without a plain object)", () => {
  it("gives the same results, records and key order as on plain maps, over random operations", async () => {
    const path = join(dir, "random");
    const store = new LmdbStore({ path });
    const next = random(20261123);
    let model: Bins = {};
    let gen = 0;
    let blockWrites = 0;
    for (let round = 0; round < 400; round++) {
      if (round % 25 === 0) {
        // A fresh large map now and then, written through put (the plain path).
        model = { cv: bigMap(next), n: 0 };
        gen = (await store.put(key("r"), model, { replace: true })).gen;
      }
      // Reads last, as the stream sends them: a plain map read before a later step of the
      // same operate aliases the changed map, a block map's read is its value at that step.
      const operations = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
        randomOperation(next),
      ).sort((a, b) => Number(isRead(a)) - Number(isRead(b)));
      const expected = expectedOperate(model, operations);
      const result = await store
        .operate(key("r"), operations)
        .catch((error: unknown) => error as StoreError);
      if (expected instanceof StoreError) {
        expect(result).toBeInstanceOf(StoreError);
        expect((result as StoreError).code).toBe(expected.code);
      } else {
        gen++;
        expect(result).toEqual({ gen, bins: expected.reads });
        model = expected.bins;
      }
      // The same on-disk choice as writing the plain map (block or msgpack map).
      const block = hasBlockMap(storedBytes(store, "r"));
      expect(block).toBe(withNumberMaps(model).cv instanceof NumberMap);
      if (block) blockWrites++;
      const record = await store.get(key("r"));
      expect(record?.gen).toBe(gen);
      expect(record?.bins).toEqual(model);
      expect(Object.keys((record?.bins.cv ?? {}) as object)).toEqual(
        Object.keys((model.cv ?? {}) as object),
      );
    }
    // Many rounds really went through block maps (else this proves nothing about them); the
    // others are maps an odd key or a string value turned plain, until the next put.
    expect(blockWrites).toBeGreaterThan(100);
    await store.close();
    // And a new store on the environment reads the same.
    const reader = new LmdbStore({ path });
    expect((await reader.get(key("r")))?.bins).toEqual(model);
    await reader.close();
  });

  it("keeps the block encoding from eight entries, trims a window in place, and writes a msgpack map below", async () => {
    const store = new LmdbStore({ path: join(dir, "format") });
    // A counter map of bucket keys, as the stream's `v1.<region>` maps (12 five-minute buckets).
    const bucket = (i: number) => String(5_984_850 + i).padStart(10, "0");
    const buckets = (from: number, to: number) =>
      Object.fromEntries(Array.from({ length: to - from }, (_, i) => [bucket(from + i), from + i]));
    await store.put(key("m"), { cv: buckets(0, 9) });
    expect(hasBlockMap(storedBytes(store, "m"))).toBe(true);
    await store.operate(key("m"), [
      { op: "mapAdd", bin: "cv", key: bucket(0), value: 1 },
      { op: "mapAdd", bin: "cv", key: bucket(9), value: 9 },
      // The window trim: drops buckets 0 and 1 (stored), not 9 (added in this step list).
      { op: "mapRemoveBelow", bin: "cv", key: bucket(2) },
      { op: "mapAdd", bin: "cv", key: bucket(1), value: 5 },
    ]);
    expect(hasBlockMap(storedBytes(store, "m"))).toBe(true);
    let bins = (await store.get(key("m")))?.bins;
    expect(bins?.cv).toEqual({ ...buckets(2, 10), [bucket(1)]: 5 });
    expect(Object.keys(bins?.cv as object)).toEqual([...Object.keys(buckets(2, 10)), bucket(1)]);
    await store.operate(key("m"), [{ op: "mapRemoveBelow", bin: "cv", key: bucket(3) }]);
    expect(hasBlockMap(storedBytes(store, "m"))).toBe(false);
    bins = (await store.get(key("m")))?.bins;
    expect(bins?.cv).toEqual(buckets(3, 10));
    await store.close();
  });

  it("copies the bytes it is told to copy, even from a Buffer (whose own slice is a view)", () => {
    const keys = Array.from({ length: 16 }, (_, i) => topKey(i));
    // The block payload (number-map-extension.ts): u16 count, key lengths, keys, float64 LE values.
    const payload = Buffer.alloc(2 + 16 + keys.join("").length + 8 * 16);
    payload.writeUInt16LE(16, 0);
    keys.forEach((k, i) => {
      payload[2 + i] = k.length;
    });
    let at = payload.write(keys.join(""), 18, "latin1") + 18;
    for (let i = 0; i < 16; i++) at = payload.writeDoubleLE(i + 0.5, at);
    const copied = WritableNumberMap.fromPayload(payload, true);
    const viewed = WritableNumberMap.fromPayload(payload, false);
    payload.fill(0, 18);
    expect(copied?.get(topKey(3))).toBe(3.5);
    expect(viewed?.get(topKey(3))).toBeUndefined();
  });
});
