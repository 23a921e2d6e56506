import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RecordKey, StoreError, type StorePort, TTL_KEEP } from "../../src/store/port.js";

export interface ContractTarget {
  /** Creates the store under test; called once per suite. */
  open(): Promise<StorePort>;
  /** Namespace to write into (Aerospike's must exist on the server). */
  namespace: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectStoreError(
  promise: Promise<unknown>,
  code: StoreError["code"],
): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
}

/**
 * One behavioural contract for every store adapter. The LMDB and Aerospike
 * test files both run it, so the adapters cannot drift apart.
 */
export function storeContract(name: string, target: ContractTarget): void {
  describe(`store contract: ${name}`, () => {
    let store: StorePort;
    // A fresh set per run so repeated runs against a long-lived server never collide.
    const set = `ct${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const key = (id: string): RecordKey => ({ ns: target.namespace, set, key: id });

    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe("get and put", () => {
      it("returns null for a missing record", async () => {
        expect(await store.get(key("missing"))).toBeNull();
      });

      it("round-trips every bin type", async () => {
        const vector = new Uint8Array(new Float32Array([0.25, -1.5, 3]).buffer);
        await store.put(key("types"), {
          int: 42,
          float: 2.5,
          str: "héllo",
          yes: true,
          bytes: vector,
          list: [1, "two", [3]],
          map: { a: 1, b: "x", c: [1, 2] },
        });
        const record = await store.get(key("types"));
        expect(record).not.toBeNull();
        const bins = record?.bins ?? {};
        expect(bins.int).toBe(42);
        expect(bins.float).toBe(2.5);
        expect(bins.str).toBe("héllo");
        expect(bins.yes).toBe(true);
        expect(Array.from(bins.bytes as Uint8Array)).toEqual(Array.from(vector));
        expect(new Float32Array(new Uint8Array(bins.bytes as Uint8Array).buffer)).toEqual(
          new Float32Array([0.25, -1.5, 3]),
        );
        expect(bins.list).toEqual([1, "two", [3]]);
        expect(bins.map).toEqual({ a: 1, b: "x", c: [1, 2] });
        expect(record?.gen).toBe(1);
        expect(record?.expiresAt).toBeNull();
      });

      it("reads only the bins asked for", async () => {
        await store.put(key("some"), { a: 1, b: 2, c: 3 });
        const record = await store.get(key("some"), ["a", "c", "nope"]);
        expect(record?.bins).toEqual({ a: 1, c: 3 });
      });

      it("merges bins on put, deletes a bin set to null, and bumps the generation", async () => {
        expect((await store.put(key("merge"), { a: 1, b: 2 })).gen).toBe(1);
        expect((await store.put(key("merge"), { b: null, c: 3 })).gen).toBe(2);
        const record = await store.get(key("merge"));
        expect(record?.bins).toEqual({ a: 1, c: 3 });
        expect(record?.gen).toBe(2);
      });

      it("replaces the whole record when asked", async () => {
        await store.put(key("replace"), { a: 1, b: 2 });
        await store.put(key("replace"), { c: 3 }, { replace: true });
        expect((await store.get(key("replace")))?.bins).toEqual({ c: 3 });
      });

      it("refuses bin names Aerospike would refuse", async () => {
        await expectStoreError(
          store.put(key("bad-bin"), { "a-name-longer-than-15": 1 }),
          "invalid_argument",
        );
        await expectStoreError(
          store.put(key("bad-bin"), { ok: 1 }, { ttl: 0.5 }),
          "invalid_argument",
        );
      });
    });

    describe("remove", () => {
      it("removes a record and reports whether it existed", async () => {
        await store.put(key("gone"), { a: 1 });
        expect(await store.remove(key("gone"))).toBe(true);
        expect(await store.get(key("gone"))).toBeNull();
        expect(await store.remove(key("gone"))).toBe(false);
      });
    });

    describe("batchGet", () => {
      it("returns records in key order with null for missing ones", async () => {
        await store.put(key("b1"), { v: 1 });
        await store.put(key("b3"), { v: 3, w: 30 });
        const records = await store.batchGet([key("b1"), key("b2"), key("b3")], ["v"]);
        expect(records.map((r) => r?.bins ?? null)).toEqual([{ v: 1 }, null, { v: 3 }]);
      });

      it("reads 1,500 keys in one call", async () => {
        const ids = Array.from({ length: 1500 }, (_, i) => `large-${i}`);
        // Write in slices so Aerospike's in-flight bound is exercised but not the point here.
        for (let i = 0; i < ids.length; i += 250) {
          await Promise.all(ids.slice(i, i + 250).map((id, j) => store.put(key(id), { n: i + j })));
        }
        const keys = [...ids.map(key), key("large-missing")];
        const records = await store.batchGet(keys);
        expect(records).toHaveLength(1501);
        records.slice(0, 1500).forEach((record, i) => {
          expect(record?.bins.n).toBe(i);
        });
        expect(records[1500]).toBeNull();
      });

      it("handles an empty batch", async () => {
        expect(await store.batchGet([])).toEqual([]);
      });
    });

    describe("generation checks", () => {
      it("writes only when the generation matches", async () => {
        const { gen } = await store.put(key("gen"), { v: 1 });
        await store.put(key("gen"), { v: 2 }, { expectGen: gen });
        await expectStoreError(
          store.put(key("gen"), { v: 3 }, { expectGen: gen }),
          "generation_conflict",
        );
        const record = await store.get(key("gen"));
        expect(record?.bins.v).toBe(2);
        expect(record?.gen).toBe(gen + 1);
      });

      it("expectGen 0 creates only if absent", async () => {
        await store.put(key("create-only"), { v: 1 }, { expectGen: 0 });
        await expectStoreError(
          store.put(key("create-only"), { v: 2 }, { expectGen: 0 }),
          "generation_conflict",
        );
        expect((await store.get(key("create-only")))?.bins.v).toBe(1);
      });

      it("applies to operate as well", async () => {
        const { gen } = await store.put(key("gen-op"), { n: 1 });
        await expectStoreError(
          store.operate(key("gen-op"), [{ op: "add", bin: "n", value: 1 }], { expectGen: gen + 5 }),
          "generation_conflict",
        );
        const result = await store.operate(
          key("gen-op"),
          [
            { op: "add", bin: "n", value: 1 },
            { op: "read", bin: "n" },
          ],
          {
            expectGen: gen,
          },
        );
        expect(result.bins.n).toBe(2);
      });

      it("a generation check on a missing record fails", async () => {
        await expectStoreError(
          store.put(key("gen-missing"), { v: 1 }, { expectGen: 3 }),
          "generation_conflict",
        );
        expect(await store.get(key("gen-missing"))).toBeNull();
      });
    });

    describe("operate", () => {
      it("adds, puts, pushes to capped lists, updates maps and reads back atomically", async () => {
        const result = await store.operate(key("op"), [
          { op: "add", bin: "views", value: 2 },
          { op: "add", bin: "score", value: 0.5, float: true },
          { op: "put", bin: "last", value: "i9" },
          { op: "listPush", bin: "recent", values: ["a", "b", "c"], front: true, cap: 5 },
          { op: "mapPut", bin: "aff", key: "shoes", value: 1.5 },
          { op: "mapAdd", bin: "cnt", key: "eu", value: 3 },
          { op: "read", bin: "views" },
          { op: "read", bin: "recent" },
          { op: "read", bin: "cnt" },
        ]);
        expect(result.gen).toBe(1);
        expect(result.bins).toEqual({ views: 2, recent: ["a", "b", "c"], cnt: { eu: 3 } });

        const again = await store.operate(key("op"), [
          { op: "add", bin: "views", value: 3 },
          { op: "add", bin: "score", value: 0.25, float: true },
          { op: "listPush", bin: "recent", values: ["d", "e", "f"], front: true, cap: 5 },
          { op: "mapAdd", bin: "cnt", key: "eu", value: 1 },
          { op: "mapAdd", bin: "cnt", key: "us", value: 2 },
          { op: "read", bin: "views" },
          { op: "read", bin: "score" },
          { op: "read", bin: "recent" },
          { op: "read", bin: "cnt" },
          { op: "read", bin: "absent" },
        ]);
        expect(again.gen).toBe(2);
        expect(again.bins).toEqual({
          views: 5,
          score: 0.75,
          recent: ["d", "e", "f", "a", "b"],
          cnt: { eu: 4, us: 2 },
        });
        const record = await store.get(key("op"));
        expect(record?.bins).toMatchObject({ last: "i9", aff: { shoes: 1.5 } });
      });

      it("keeps the newest items at the back when pushing to the back", async () => {
        await store.operate(key("back"), [{ op: "listPush", bin: "l", values: [1, 2, 3] }]);
        const result = await store.operate(key("back"), [
          { op: "listPush", bin: "l", values: [4, 5], cap: 3 },
          { op: "read", bin: "l" },
        ]);
        expect(result.bins.l).toEqual([3, 4, 5]);
      });

      it("deduplicates a pushed value that is already in the list", async () => {
        await store.operate(key("uniq"), [
          { op: "listPush", bin: "l", values: ["x", "y", "z"], front: true },
        ]);
        const result = await store.operate(key("uniq"), [
          { op: "listPush", bin: "l", values: ["z"], front: true, unique: true, cap: 10 },
          { op: "read", bin: "l" },
        ]);
        expect(result.bins.l).toEqual(["z", "x", "y"]);
      });

      it("removes the map keys below a key, keeping that key and the ones above", async () => {
        await store.operate(key("trim"), [
          { op: "mapAdd", bin: "w", key: "0000000007", value: 1 },
          { op: "mapAdd", bin: "w", key: "0000000009", value: 2 },
          { op: "mapAdd", bin: "w", key: "0000000010", value: 3 },
          { op: "mapAdd", bin: "w", key: "0000000012", value: 4 },
        ]);
        const result = await store.operate(key("trim"), [
          { op: "mapAdd", bin: "w", key: "0000000013", value: 5 },
          { op: "mapRemoveBelow", bin: "w", key: "0000000010" },
          { op: "mapRemoveBelow", bin: "absent", key: "0000000010" },
          { op: "read", bin: "w" },
          { op: "read", bin: "absent" },
        ]);
        expect(result.bins).toEqual({ w: { "0000000010": 3, "0000000012": 4, "0000000013": 5 } });
        const all = await store.operate(key("trim"), [
          { op: "mapRemoveBelow", bin: "w", key: "9999999999" },
          { op: "read", bin: "w" },
        ]);
        expect(all.bins).toEqual({ w: {} });
      });

      it("sets several map keys in one step, keeping the others", async () => {
        await store.operate(key("put-items"), [{ op: "mapPut", bin: "t", key: "a", value: 1 }]);
        const result = await store.operate(key("put-items"), [
          { op: "mapPutItems", bin: "t", items: { b: 2, c: "x" } },
          { op: "mapPutItems", bin: "fresh", items: { z: 1.5 } },
          { op: "read", bin: "t" },
          { op: "read", bin: "fresh" },
        ]);
        expect(result.bins).toEqual({ t: { a: 1, b: 2, c: "x" }, fresh: { z: 1.5 } });
      });

      it("reads a map's size, 0 for a missing bin", async () => {
        const result = await store.operate(key("size"), [
          { op: "mapAdd", bin: "m", key: "a", value: 1 },
          { op: "mapAdd", bin: "m", key: "b", value: 1 },
          { op: "mapSize", bin: "m" },
          { op: "mapSize", bin: "absent" },
        ]);
        expect(result.bins).toEqual({ m: 2, absent: 0 });
        const [many] = await store.operateMany([
          {
            key: key("size"),
            operations: [
              { op: "mapSize", bin: "m" },
              { op: "mapSize", bin: "no" },
            ],
          },
        ]);
        expect((many as { bins: unknown }).bins).toEqual({ m: 2, no: 0 });
      });

      it("removes listed map keys, ignoring absent keys and bins", async () => {
        await store.operate(key("drop"), [
          { op: "mapAdd", bin: "m", key: "a", value: 1.5, float: true },
          { op: "mapAdd", bin: "m", key: "b", value: 2.5, float: true },
          { op: "mapAdd", bin: "m", key: "c", value: 3.5, float: true },
        ]);
        const result = await store.operate(key("drop"), [
          { op: "mapRemoveKeys", bin: "m", keys: ["a", "c", "zz"] },
          { op: "mapRemoveKeys", bin: "absent", keys: ["a"] },
          { op: "mapAdd", bin: "m", key: "b", value: 1, float: true },
          { op: "read", bin: "m" },
        ]);
        expect(result.bins).toEqual({ m: { b: 3.5 } });
      });

      it("trims a decayed top map in the write where supported, else refuses it unchanged", async () => {
        // Five members of one decay period (a day's half-life, 32 per period), best last.
        const now = 20_000 * 32 * 86_400_000;
        const items = Object.fromEntries(
          [1, 2, 3, 4, 5].map((value) => [`0000020000:m${value}`, value]),
        );
        await store.put(key("top"), { m: items, other: 1 });
        const operations = [
          { op: "mapAdd", bin: "m", key: "0000020000:m6", value: 6, float: true },
          { op: "mapTrimTop", bin: "m", above: 4, keep: 2, halfLifeSeconds: 86_400, now },
        ] as const;
        if (store.supportsTopTrim) {
          await store.operate(key("top"), operations);
          expect((await store.get(key("top")))?.bins).toEqual({
            m: { "0000020000:m5": 5, "0000020000:m6": 6 },
            other: 1,
          });
        } else {
          await expectStoreError(store.operate(key("top"), operations), "invalid_argument");
          const [many] = await store.operateMany([{ key: key("top"), operations }]);
          expect(many).toBeInstanceOf(StoreError);
          expect((many as StoreError).code).toBe("invalid_argument");
          expect((await store.get(key("top")))?.bins).toEqual({ m: items, other: 1 });
        }
      });

      it("refuses an operation that does not fit the bin's type, changing nothing", async () => {
        await store.put(key("typed"), { s: "text", n: 1 });
        await expectStoreError(
          store.operate(key("typed"), [
            { op: "add", bin: "n", value: 1 },
            { op: "add", bin: "s", value: 1 },
          ]),
          "bin_type_mismatch",
        );
        expect((await store.get(key("typed")))?.bins).toEqual({ s: "text", n: 1 });
      });

      it("loses no increment under 300 concurrent operates on one record", async () => {
        const target = key("hot-counter");
        await Promise.all(
          Array.from({ length: 300 }, () =>
            store.operate(target, [
              { op: "add", bin: "n", value: 1 },
              { op: "mapAdd", bin: "m", key: "r1", value: 2 },
            ]),
          ),
        );
        const record = await store.get(target);
        expect(record?.bins.n).toBe(300);
        expect(record?.bins.m).toEqual({ r1: 600 });
        expect(record?.gen).toBe(300);
      });
    });

    describe("operateMany", () => {
      it("applies each record's operations atomically and reports each record on its own", async () => {
        // Keys in one call are distinct: the order of two writes to one record is not defined.
        await store.put(key("many-typed"), { s: "text" });
        const { gen } = await store.put(key("many-gen"), { v: 1 });
        await store.put(key("many-stale"), { v: 1 });
        await store.operate(key("many-b"), [{ op: "add", bin: "n", value: 10 }]);
        const results = await store.operateMany([
          {
            key: key("many-a"),
            operations: [
              { op: "mapAdd", bin: "m", key: "k", value: 2 },
              { op: "listPush", bin: "l", values: ["x"], front: true, cap: 3 },
              { op: "read", bin: "m" },
            ],
            options: { ttl: 3600 },
          },
          {
            key: key("many-b"),
            operations: [
              { op: "add", bin: "n", value: 5 },
              { op: "read", bin: "n" },
            ],
          },
          // Fails on its own: the string bin cannot take an add.
          {
            key: key("many-typed"),
            operations: [
              { op: "add", bin: "n", value: 1 },
              { op: "add", bin: "s", value: 1 },
            ],
          },
          // Fails on its own: stale generation.
          {
            key: key("many-stale"),
            operations: [{ op: "put", bin: "v", value: 2 }],
            options: { expectGen: gen + 1 },
          },
          {
            key: key("many-gen"),
            operations: [{ op: "put", bin: "w", value: 3 }],
            options: { expectGen: gen },
          },
        ]);
        expect(results[0]).toEqual({ gen: 1, bins: { m: { k: 2 } } });
        expect(results[1]).toEqual({ gen: 2, bins: { n: 15 } });
        expect(results[2]).toBeInstanceOf(StoreError);
        expect((results[2] as StoreError).code).toBe("bin_type_mismatch");
        expect(results[3]).toBeInstanceOf(StoreError);
        expect((results[3] as StoreError).code).toBe("generation_conflict");
        expect(results[4]).toEqual({ gen: gen + 1, bins: {} });

        const [a, typed, versioned, stale] = await store.batchGet([
          key("many-a"),
          key("many-typed"),
          key("many-gen"),
          key("many-stale"),
        ]);
        expect(stale?.bins).toEqual({ v: 1 });
        expect(a?.bins).toEqual({ m: { k: 2 }, l: ["x"] });
        expect(a?.expiresAt).not.toBeNull();
        expect(typed?.bins).toEqual({ s: "text" });
        expect(versioned?.bins).toEqual({ v: 1, w: 3 });
        expect(await store.operateMany([])).toEqual([]);
      });

      it("loses no increment when batches overlap on the same records", async () => {
        const ids = ["hot-1", "hot-2", "hot-3"];
        await Promise.all(
          Array.from({ length: 40 }, () =>
            store.operateMany(
              ids.map((id) => ({
                key: key(`many-${id}`),
                operations: [{ op: "mapAdd", bin: "m", key: "eu", value: 1 } as const],
              })),
            ),
          ),
        );
        const records = await store.batchGet(ids.map((id) => key(`many-${id}`)));
        expect(records.map((r) => r?.bins.m)).toEqual(ids.map(() => ({ eu: 40 })));
      });
    });

    describe("scan", () => {
      it("returns every live record of a set and nothing of other sets", async () => {
        const scanSet = `${set}s`;
        const at = (id: string): RecordKey => ({ ns: target.namespace, set: scanSet, key: id });
        await store.put(at("a"), { id: "a", n: 1 });
        await store.put(at("b"), { id: "b", n: 2 });
        await store.put(at("gone"), { id: "gone" });
        await store.remove(at("gone"));
        await store.put(key("other"), { id: "other" });
        const records = await store.scan(target.namespace, scanSet);
        expect(records.map((r) => r.bins.id).sort()).toEqual(["a", "b"]);
        const some = await store.scan(target.namespace, scanSet, ["n"]);
        expect(some.map((r) => r.bins).sort((x, y) => Number(x.n) - Number(y.n))).toEqual([
          { n: 1 },
          { n: 2 },
        ]);
        expect(await store.scan(target.namespace, `${set}none`)).toEqual([]);
      });
    });

    describe("TTL", () => {
      it("reports the expiry of a record written with a TTL", async () => {
        const before = Date.now();
        await store.put(key("ttl-meta"), { v: 1 }, { ttl: 3600 });
        const record = await store.get(key("ttl-meta"));
        expect(record?.expiresAt).toBeGreaterThanOrEqual(before + 3590_000);
        expect(record?.expiresAt).toBeLessThanOrEqual(Date.now() + 3601_000);
      });

      it("hides a record once its TTL has passed, and operate with TTL_KEEP keeps the expiry", async () => {
        await store.put(key("ttl-short"), { v: 1 }, { ttl: 1 });
        await store.put(key("ttl-long"), { v: 1 }, { ttl: 3600 });
        await store.operate(key("ttl-long"), [{ op: "add", bin: "v", value: 1 }], {
          ttl: TTL_KEEP,
        });
        expect((await store.get(key("ttl-short")))?.bins.v).toBe(1);
        // Aerospike's void time has one-second resolution: wait until it is surely past.
        await sleep(2_100);
        expect(await store.get(key("ttl-short"))).toBeNull();
        const [short, long] = await store.batchGet([key("ttl-short"), key("ttl-long")]);
        expect(short).toBeNull();
        expect(long?.bins.v).toBe(2);
        expect(long?.expiresAt).not.toBeNull();
      });

      it("treats an expired record as absent for create-only writes", async () => {
        await store.put(key("ttl-recreate"), { v: 1 }, { ttl: 1 });
        await sleep(2_100);
        await store.put(key("ttl-recreate"), { v: 2 }, { expectGen: 0 });
        expect((await store.get(key("ttl-recreate")))?.bins.v).toBe(2);
      });
    });

    it("answers ping", async () => {
      expect(await store.ping()).toBe(true);
    });
  });
}
