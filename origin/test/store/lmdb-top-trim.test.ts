import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decayedValue, decayPeriod, topKey } from "../../src/features/layout.js";
import { splitTopKey } from "../../src/features/storage-read.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import { NUMBER_MAP_EXTENSION } from "../../src/store/lmdb/number-map-extension.js";
import { type BinValue, type Operation, StoreError } from "../../src/store/port.js";

const DAY = 86_400;
const HALF_LIFE = 7 * DAY;
/** Two co-visitation periods (32 half-lives each): `NOW` sits early in the second. */
const PERIOD = decayPeriod(1_800_000_000_000, HALF_LIFE);
const NOW = (PERIOD * 32 + 2) * HALF_LIFE * 1000;

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-top-trim-"));
let store: LmdbStore;
beforeAll(() => {
  store = new LmdbStore({ path: join(dir, "db"), now: () => NOW });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
const key = (id: string) => ({ ns: "t", set: "s", key: id });

function trim(above: number, keep: number, bin = "cv"): Operation {
  return { op: "mapTrimTop", bin, above, keep, halfLifeSeconds: HALF_LIFE, now: NOW };
}

/**
 * The rule by its definition: entries stably sorted by decayed score (a
 * non-number or a key that is no top key last), the first `keep` kept, in
 * map order.
 */
function expectedTrim(map: { [key: string]: BinValue }, above: number, keep: number) {
  const entries = Object.entries(map);
  if (entries.length <= above) return map;
  const score = ([mapKey, stored]: [string, BinValue]) => {
    const parsed = splitTopKey(mapKey);
    return parsed && typeof stored === "number"
      ? decayedValue(stored, parsed.period, NOW, HALF_LIFE)
      : Number.NEGATIVE_INFINITY;
  };
  const kept = new Set(
    [...entries]
      .sort((a, b) => score(b) - score(a))
      .slice(0, keep)
      .map(([mapKey]) => mapKey),
  );
  return Object.fromEntries(entries.filter(([mapKey]) => kept.has(mapKey)));
}

function storedBytes(id: string): Uint8Array {
  const records = (store as unknown as { records: { getBinary(key: unknown): Uint8Array } })
    .records;
  return records.getBinary(["t", "s", id]);
}

/** Whether the record's bytes hold a block-encoded number map (ext 8 or ext 16 of its type). */
function hasBlockMap(id: string): boolean {
  const bytes = storedBytes(id);
  return bytes.some(
    (byte, i) =>
      (byte === 0xc7 && bytes[i + 2] === NUMBER_MAP_EXTENSION) ||
      (byte === 0xc8 && bytes[i + 3] === NUMBER_MAP_EXTENSION),
  );
}

/** A map of `count` members over the two periods, values with many ties. */
function twoPeriodMap(count: number, seed: number): { [key: string]: number } {
  // mulberry32: a seeded generator, so a failure replays.
  let state = seed;
  const next = (n: number) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
  const map: { [key: string]: number } = {};
  for (let i = 0; i < count; i++) {
    // The old period's values are bigger (the landmark moved), so decay decides the ranking.
    const old = next(2) === 0;
    map[topKey(old ? PERIOD - 1 : PERIOD, `item-${i}`)] = old
      ? 2 ** 32 * (1 + next(3))
      : 1 + next(3);
  }
  return map;
}

describe("mapTrimTop on LMDB (the decayed_top trim inside the write)", () => {
  it("changes nothing up to the bound and keeps the best above it, on block and plain maps", async () => {
    for (const plain of [false, true]) {
      const map: { [key: string]: BinValue } = twoPeriodMap(41, plain ? 7 : 8);
      // One non-number value makes the map a plain object (no block encoding).
      if (plain) map[topKey(PERIOD, "text")] = "not a number";
      const id = plain ? "plain" : "block";
      await store.put(key(id), { cv: map });
      expect(hasBlockMap(id)).toBe(!plain);
      const size = Object.keys(map).length;
      await store.operate(key(id), [trim(size, 10)]);
      expect((await store.get(key(id)))?.bins.cv).toEqual(map);

      await store.operate(key(id), [trim(size - 1, 10)]);
      const trimmed = (await store.get(key(id)))?.bins.cv as { [key: string]: BinValue };
      const expected = expectedTrim(map, size - 1, 10);
      expect(trimmed).toEqual(expected);
      expect(Object.keys(trimmed)).toEqual(Object.keys(expected));
      // Both periods are among the kept, so the cut really compared decayed values across them.
      const periods = new Set(Object.keys(trimmed).map((k) => splitTopKey(k)?.period));
      expect(periods).toEqual(new Set([PERIOD - 1, PERIOD]));
      expect(trimmed[topKey(PERIOD, "text")]).toBeUndefined();
    }
  });

  it("ranks a big value of the older period, decayed, below a smaller one of the newer period", async () => {
    // 2^32 in the old period is 1 at the new landmark, decayed a further 2 half-lives: 1/4 at
    // NOW, below 1.2 of the new period (0.3 at NOW).
    const map: { [key: string]: number } = {};
    for (let i = 0; i < 10; i++) map[topKey(PERIOD, `new-${i}`)] = 1.5;
    map[topKey(PERIOD - 1, "old-big")] = 2 ** 32;
    map[topKey(PERIOD, "new-best")] = 1.2;
    await store.put(key("decay"), { cv: map });
    await store.operate(key("decay"), [trim(11, 11)]);
    const kept = Object.keys((await store.get(key("decay")))?.bins.cv as object);
    expect(kept).not.toContain(topKey(PERIOD - 1, "old-big"));
    expect(kept).toContain(topKey(PERIOD, "new-best"));
    expect(kept).toHaveLength(11);
  });

  it("breaks ties by map order, ranking this write's added keys after the stored ones", async () => {
    const map = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [topKey(PERIOD, `tie-${i}`), 1]),
    );
    await store.put(key("ties"), { cv: map });
    expect(hasBlockMap("ties")).toBe(true);
    const added = topKey(PERIOD, "added");
    const raised = topKey(PERIOD, "tie-9");
    const result = await store.operate(key("ties"), [
      { op: "mapAdd", bin: "cv", key: added, value: 1, float: true },
      { op: "mapAdd", bin: "cv", key: raised, value: 0.5, float: true },
      trim(12, 6),
      { op: "read", bin: "cv" },
    ]);
    expect(Object.keys(result.bins.cv as object)).toEqual([
      topKey(PERIOD, "tie-0"),
      topKey(PERIOD, "tie-1"),
      topKey(PERIOD, "tie-2"),
      topKey(PERIOD, "tie-3"),
      topKey(PERIOD, "tie-4"),
      raised,
    ]);
  });

  it("ranks non-numbers and keys that are no top keys last", async () => {
    const map: { [key: string]: BinValue } = {
      stray: 1e9,
      [topKey(PERIOD, "words")]: "1e9",
      ":leading-colon": 1e9,
    };
    for (let i = 0; i < 9; i++) map[topKey(PERIOD, `m-${i}`)] = 1 + i;
    await store.put(key("odd"), { cv: map });
    await store.operate(key("odd"), [trim(10, 9)]);
    const kept = (await store.get(key("odd")))?.bins.cv;
    expect(kept).toEqual(expectedTrim(map, 10, 9));
    expect(Object.keys(kept as object).every((k) => k.startsWith(topKey(PERIOD, "m-")))).toBe(true);
  });

  it("leaves the record's expiry, other bins and a missing bin as they were", async () => {
    const map = twoPeriodMap(30, 3);
    await store.put(key("ttl"), { cv: map, _t: { cv: 1234 } }, { ttl: 3600 });
    const before = await store.get(key("ttl"));
    const result = await store.operate(key("ttl"), [trim(20, 10), trim(5, 1, "absent")]);
    const after = await store.get(key("ttl"));
    expect(result).toEqual({ gen: (before?.gen ?? 0) + 1, bins: {} });
    expect(after?.expiresAt).toBe(before?.expiresAt);
    expect(after?.bins._t).toEqual({ cv: 1234 });
    expect(after?.bins.cv).toEqual(expectedTrim(map, 20, 10));
    expect(after?.bins.absent).toBeUndefined();
  });

  it("refuses a bin that is not a map, changing nothing", async () => {
    await store.put(key("typed"), { cv: 5 });
    const error = await store.operate(key("typed"), [trim(1, 1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("bin_type_mismatch");
    expect((await store.get(key("typed")))?.bins).toEqual({ cv: 5 });
  });

  it("refuses bad bounds, half-lives and clocks with invalid_argument", async () => {
    const base = { op: "mapTrimTop", bin: "cv", above: 8, keep: 4, halfLifeSeconds: 60, now: NOW };
    const bad: Operation[] = [
      { ...base, op: "mapTrimTop", keep: 0 },
      { ...base, op: "mapTrimTop", keep: 9 },
      { ...base, op: "mapTrimTop", keep: 2.5 },
      { ...base, op: "mapTrimTop", above: Number.NaN },
      { ...base, op: "mapTrimTop", halfLifeSeconds: 0 },
      { ...base, op: "mapTrimTop", halfLifeSeconds: Number.POSITIVE_INFINITY },
      { ...base, op: "mapTrimTop", now: Number.NaN },
    ];
    for (const operation of bad) {
      const error = await store.operate(key("bad"), [operation]).catch((e: unknown) => e);
      expect(error, JSON.stringify(operation)).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("invalid_argument");
      expect((error as StoreError).message).toContain("mapTrimTop");
      const [many] = await store.operateMany([{ key: key("bad"), operations: [operation] }]);
      expect((many as StoreError).code).toBe("invalid_argument");
    }
    expect(await store.get(key("bad"))).toBeNull();
  });
});
