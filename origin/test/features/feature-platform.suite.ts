import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "#shared/http/api-error";
import { recordKeys } from "../../src/catalog/record-keys.js";
import { featureRecordKey, regionalBin, WRITTEN_AT_BIN } from "../../src/features/layout.js";
import { FeatureRegistry } from "../../src/features/registry/feature-registry.js";
import { FeatureServer } from "../../src/features/serving/feature-server.js";
import { HAS_NUMBER, STATUS_MASK } from "../../src/features/serving/serve-columns.js";
import {
  type FeatureWriteContext,
  writeFeatures,
} from "../../src/features/write/write-features.js";
import type { StorePort } from "../../src/store/port.js";
import { runId, type StoreTarget } from "./support/store-targets.js";

/**
 * Registry, batch writes and online serving against one real store. Each run
 * uses its own registry record and entity names, so runs on a shared
 * Aerospike server never see each other.
 */
export function featurePlatformSuite(target: StoreTarget): void {
  const id = runId();
  // Entity names are part of set names (fe_<entity>): unique per run.
  const product = `p${id}`;
  const pair = `pp${id}`;
  const expiring = `x${id}`;
  const registryRecord = `feature-registry-${id}`;
  let store: StorePort;
  let cleanup: () => Promise<void>;
  let registry: FeatureRegistry;
  let clock = 1_800_000_000_000;
  const now = () => clock;
  let writer: FeatureWriteContext;
  let server: FeatureServer;
  const keys = () => recordKeys(target.namespace);

  beforeAll(async () => {
    ({ store, cleanup } = await target.open());
    registry = await FeatureRegistry.open(store, keys(), {
      pollMs: 0,
      now,
      recordName: registryRecord,
    });
    await registry.registerRegion("eu");
    await registry.registerRegion("us");
    for (const [name, keyParts] of [
      [product, ["item"]],
      [pair, ["user", "item"]],
      [expiring, ["thing"]],
    ] as const) {
      const result = await registry.putEntity({ name, keyParts: [...keyParts], description: "" });
      expect(result.ok).toBe(true);
    }
    const defs = [
      { name: "count", type: "int", default: 0 },
      { name: "score", type: "float" },
      { name: "active", type: "bool", default: false },
      { name: "label", type: "string" },
      { name: "tags", type: "string_list", default: [] },
      { name: "emb", type: "vector", dim: 4 },
      { name: "weights", type: "map" },
      { name: "fresh", type: "float", ttlSeconds: 60, default: -1 },
    ];
    for (const def of defs) {
      const result = await registry.putFeature({ entity: product, ...def });
      expect(result.ok, JSON.stringify(result)).toBe(true);
    }
    expect((await registry.putFeature({ entity: pair, name: "seen", type: "int" })).ok).toBe(true);
    for (const [name, ttlSeconds] of [
      ["a", 60],
      ["b", 120],
    ] as const) {
      const result = await registry.putFeature({ entity: expiring, name, type: "int", ttlSeconds });
      expect(result.ok).toBe(true);
    }
    writer = { store, namespace: target.namespace, registry, now };
    server = new FeatureServer({ store, namespace: target.namespace, registry, now });
  });
  afterAll(async () => {
    registry?.close();
    await store?.remove(keys().meta(registryRecord));
    await cleanup?.();
  });

  describe(`feature registry (${target.name})`, () => {
    async function refusal(input: Record<string, unknown>) {
      const result = await registry.putFeature(input);
      if (result.ok) throw new Error(`expected a refusal for ${JSON.stringify(input)}`);
      return result;
    }

    it("refuses an unknown entity, naming it", async () => {
      const r = await refusal({ entity: "nope", name: "x", type: "int" });
      expect(r.code).toBe("invalid_parameter");
      expect(r.message).toContain('unknown entity "nope"');
    });

    it("refuses a vector without dim and dim on a non-vector", async () => {
      expect((await refusal({ entity: product, name: "v", type: "vector" })).message).toContain(
        'needs "dim"',
      );
      expect(
        (await refusal({ entity: product, name: "v", type: "float", dim: 3 })).message,
      ).toContain('only vector features have "dim"');
    });

    it("refuses a default of the wrong type, including a vector of the wrong length", async () => {
      const wrong = await refusal({ entity: product, name: "n", type: "int", default: "ten" });
      expect(wrong.message).toBe("default: expected a whole number for a int feature");
      const short = await refusal({
        entity: product,
        name: "v",
        type: "vector",
        dim: 3,
        default: [1, 2],
      });
      expect(short.message).toContain("expected 3 numbers, got 2");
      const map = await refusal({ entity: product, name: "m", type: "map", default: { a: "x" } });
      expect(map.message).toMatch(/^default: /);
    });

    it("refuses a type or dim change of an existing feature, allows int -> float", async () => {
      const typeChange = await refusal({ entity: product, name: "label", type: "int" });
      expect(typeChange.code).toBe("conflict");
      expect(typeChange.message).toContain("stored as string");
      const dimChange = await refusal({ entity: product, name: "emb", type: "vector", dim: 8 });
      expect(dimChange.message).toContain("stored with dim 4");
      const widened = await registry.putFeature({ entity: product, name: "wide", type: "int" });
      expect(widened.ok).toBe(true);
      const asFloat = await registry.putFeature({ entity: product, name: "wide", type: "float" });
      if (!asFloat.ok) throw new Error(asFloat.message);
      expect(asFloat.value).toMatchObject({ type: "float", version: 2 });
      expect(asFloat.value.bin).toBe(widened.ok ? widened.value.bin : "");
    });

    it("refuses editing, shadowing or deleting a built-in feature or entity", async () => {
      const shadow = await refusal({ entity: "user", name: "recent_items", type: "string_list" });
      expect(shadow.message).toContain("built-in");
      const del = await registry.deleteFeature("user", "recent_items");
      expect(del.ok).toBe(false);
      const entity = await registry.putEntity({ name: "user", keyParts: ["x"], description: "" });
      expect(entity.ok ? "" : entity.message).toContain("built in");
    });

    it("refuses changing an entity's key parts while features use it", async () => {
      const change = await registry.putEntity({ name: pair, keyParts: ["user"], description: "" });
      expect(change.ok ? "" : change.message).toContain("key parts cannot change");
      const unused = `u${id}`;
      expect(
        (await registry.putEntity({ name: unused, keyParts: ["a"], description: "" })).ok,
      ).toBe(true);
      expect(
        (await registry.putEntity({ name: unused, keyParts: ["a", "b"], description: "" })).ok,
      ).toBe(true);
    });

    it("gives each feature a new bin and never reuses a deleted one", async () => {
      const first = await registry.putFeature({ entity: product, name: "tmp", type: "int" });
      if (!first.ok) throw new Error(first.message);
      const deleted = await registry.deleteFeature(product, "tmp");
      expect(deleted.ok).toBe(true);
      expect(registry.snapshot().entities.get(product)?.features.has("tmp")).toBe(false);
      const again = await registry.putFeature({ entity: product, name: "tmp", type: "int" });
      if (!again.ok) throw new Error(again.message);
      expect(again.value.bin).not.toBe(first.value.bin);
      const bins = registry.snapshot().listing.features.map((f) => `${f.entity}.${f.bin}`);
      expect(new Set(bins).size).toBe(bins.length);
    });

    it("hot-reloads a change made by another registry instance, without restart", async () => {
      const other = await FeatureRegistry.open(store, keys(), {
        pollMs: 20,
        recordName: registryRecord,
      });
      try {
        expect(other.snapshot().entities.get(product)?.features.has("late")).toBe(false);
        const made = await registry.putFeature({ entity: product, name: "late", type: "string" });
        expect(made.ok).toBe(true);
        await expect
          .poll(() => other.snapshot().entities.get(product)?.features.has("late"), {
            timeout: 5_000,
            interval: 20,
          })
          .toBe(true);
        expect(other.snapshot().version).toBe(registry.snapshot().version);
      } finally {
        other.close();
      }
    });

    it("never loses one of two processes' concurrent changes", async () => {
      const other = await FeatureRegistry.open(store, keys(), {
        pollMs: 0,
        recordName: registryRecord,
      });
      try {
        await Promise.all(
          Array.from({ length: 8 }, (_, i) => [
            registry.putFeature({ entity: pair, name: `mine_${i}`, type: "int" }),
            other.putFeature({ entity: pair, name: `theirs_${i}`, type: "int" }),
          ]).flat(),
        );
        const names = [...((await registry.refresh()).entities.get(pair)?.features.keys() ?? [])];
        for (let i = 0; i < 8; i++)
          expect(names).toEqual(expect.arrayContaining([`mine_${i}`, `theirs_${i}`]));
      } finally {
        other.close();
      }
    });
  });

  describe(`feature writes and serving (${target.name})`, () => {
    const serve = (keysToRead: string[], features: string[], entity = product) =>
      server.get([{ entity, keys: keysToRead, features }]).then((groups) => groups[0]);

    it("round-trips every value type, vectors as Float32Array inside", async () => {
      const written = clock;
      const result = await writeFeatures(writer, product, [
        {
          key: "k1",
          values: {
            count: 7,
            score: 0.25,
            active: true,
            label: "shoes",
            tags: ["a", "b"],
            emb: [0.5, -1, 2.25, 0],
            weights: { x: 1.5, y: 2 },
          },
        },
      ]);
      expect(result).toEqual({ written: 1, errors: [] });
      clock += 1_500;
      const group = await serve(
        ["k1"],
        ["count", "score", "active", "label", "tags", "emb", "weights"],
      );
      const row = group?.rows[0];
      expect(row?.status).toEqual(Array(7).fill("present"));
      expect(row?.ageMs).toEqual(Array(7).fill(clock - written));
      expect(row?.values.slice(0, 5)).toEqual([7, 0.25, true, "shoes", ["a", "b"]]);
      expect(row?.values[5]).toBeInstanceOf(Float32Array);
      expect(Array.from(row?.values[5] as Float32Array)).toEqual([0.5, -1, 2.25, 0]);
      expect(row?.values[6]).toEqual({ x: 1.5, y: 2 });
    });

    it("updates only the given bins, and null deletes a value", async () => {
      await writeFeatures(writer, product, [{ key: "k2", values: { count: 1, label: "x" } }]);
      await writeFeatures(writer, product, [{ key: "k2", values: { count: 2, label: null } }]);
      const row = (await serve(["k2"], ["count", "label", "tags"]))?.rows[0];
      expect(row?.values).toEqual([2, null, []]);
      expect(row?.status).toEqual(["present", "missing", "default"]);
    });

    it("serves present, default, missing and (past the TTL) expired with the default", async () => {
      const ts = clock;
      await writeFeatures(writer, product, [{ key: "k3", values: { fresh: 9.5 }, ts }]);
      let row = (await serve(["k3", "never"], ["fresh", "count", "score"]))?.rows;
      expect(row?.[0]?.status).toEqual(["present", "default", "missing"]);
      expect(row?.[0]?.values).toEqual([9.5, 0, null]);
      expect(row?.[1]?.status).toEqual(["default", "default", "missing"]);
      expect(row?.[1]?.ageMs).toEqual([null, null, null]);
      clock = ts + 60_000;
      expect((await serve(["k3"], ["fresh"]))?.rows[0]?.status).toEqual(["present"]);
      clock = ts + 61_000;
      row = (await serve(["k3"], ["fresh"]))?.rows;
      expect(row?.[0]).toMatchObject({ values: [-1], status: ["expired"], ageMs: [61_000] });
    });

    it("serves the same values and statuses column-wise (graph executor) as row-wise", async () => {
      const features = ["count", "score", "active", "label", "tags", "emb", "weights", "fresh"];
      const ts = clock;
      await writeFeatures(writer, product, [
        {
          key: "c1",
          values: {
            count: 3,
            score: 1.5,
            active: true,
            label: "bag",
            tags: ["t"],
            emb: [1, 2, 3, 4],
            weights: { a: 1 },
            fresh: 2.5,
          },
          ts,
        },
        // Written past the TTL of `fresh`: expired, served as its default.
        { key: "c2", values: { score: -0.5, active: false, fresh: 7 }, ts: ts - 61_000 },
      ]);
      const keysToRead = ["c1", "c2", "c-absent"];
      const rows = (await serve(keysToRead, features))?.rows ?? [];
      const [columns] = await server.getColumns([{ entity: product, keys: keysToRead, features }]);
      if (!columns) throw new Error("no columns served");
      expect(columns.keys).toEqual(keysToRead);
      const statusNames = ["present", "default", "expired", "missing"];
      const numeric = new Set(["count", "score", "active", "fresh"]);
      rows.forEach((row, r) => {
        features.forEach((feature, f) => {
          const byte = columns.status[r * features.length + f] as number;
          const served = row.values[f];
          expect(statusNames[byte & STATUS_MASK], `${row.key}.${feature}`).toBe(row.status[f]);
          const isNumber = typeof served === "number" || typeof served === "boolean";
          expect((byte & HAS_NUMBER) !== 0, `${row.key}.${feature} has a number`).toBe(isNumber);
          if (isNumber) {
            expect(columns.numbers[r * features.length + f]).toBe(Number(served));
          }
          const values = columns.values[f];
          if (numeric.has(feature)) expect(values).toBeNull();
          else expect(values?.[r], `${row.key}.${feature}`).toEqual(served);
        });
      });
      // The cases this compares: present values of each type, default, missing, expired.
      expect(rows.map((row) => row.status[7])).toEqual(["present", "expired", "default"]);
      expect(rows[2]?.status).toContain("missing");
      expect(columns.values[5]?.[0]).toBeInstanceOf(Float32Array);
    });

    it("reports bad rows by index and reason and writes the good ones", async () => {
      const result = await writeFeatures(writer, product, [
        { key: "g1", values: { count: 1 } },
        { key: "b1", values: { count: 1.5 } },
        { key: "b2", values: { nope: 1 } },
        { key: "a|b", values: { count: 1 } },
        { key: "b4", values: { emb: [1, 2] } },
        "not a row",
        { key: "g2", values: { tags: ["t"] } },
        { key: "b7", values: {} },
      ]);
      expect(result.written).toBe(2);
      expect(result.errors.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 7]);
      expect(result.errors[0]?.reason).toContain("values.count: expected a whole number");
      expect(result.errors[1]?.reason).toContain("values.nope: unknown feature");
      expect(result.errors[2]?.reason).toContain("has 2 part(s)");
      expect(result.errors[3]?.reason).toContain("expected 4 numbers, got 2");
      const rows = (await serve(["g1", "g2", "b1"], ["count"]))?.rows;
      expect(rows?.map((r) => r.status[0])).toEqual(["present", "default", "default"]);
    });

    it("refuses writes to stream counters", async () => {
      const result = await writeFeatures(writer, "item_region", [
        { key: "i1|eu", values: { views_1h: 3 } },
      ]);
      expect(result.errors[0]?.reason).toContain("stream processor");
    });

    it("sets a record TTL only when every feature of the entity expires, else keeps the record's", async () => {
      await writeFeatures(writer, expiring, [{ key: "t1", values: { a: 1 } }]);
      const record = await store.get(featureRecordKey(target.namespace, expiring, "t1"));
      const expected = Date.now() + 120_000;
      expect(record?.expiresAt).toBeGreaterThan(expected - 10_000);
      expect(record?.expiresAt).toBeLessThanOrEqual(expected + 1_000);
      const open = await store.get(featureRecordKey(target.namespace, product, "k1"));
      expect(open?.expiresAt).toBeNull();
      // A lifetime another writer gave the record (e.g. a session's) is kept.
      const owned = featureRecordKey(target.namespace, product, "owned");
      await store.put(owned, { other: 1 }, { ttl: 3_600 });
      await writeFeatures(writer, product, [{ key: "owned", values: { count: 1 } }]);
      const kept = await store.get(owned);
      expect(kept?.expiresAt).toBeGreaterThan(Date.now() + 3_000_000);
      expect(kept?.expiresAt).toBeLessThanOrEqual(Date.now() + 3_601_000);
    });

    it("makes exactly one batched read per group with only the needed bins", async () => {
      const calls: { keys: number; bins: readonly string[] | undefined }[] = [];
      const counting: StorePort = Object.create(store, {
        batchGet: {
          value: (k: Parameters<StorePort["batchGet"]>[0], b?: readonly string[]) => {
            calls.push({ keys: k.length, bins: b });
            return store.batchGet(k, b);
          },
        },
      });
      const counted = new FeatureServer({
        store: counting,
        namespace: target.namespace,
        registry,
        now,
      });
      await counted.get([
        { entity: product, keys: ["k1", "k2", "k3"], features: ["count", "emb"] },
        { entity: pair, keys: ["u1|i1"], features: ["seen"] },
      ]);
      expect(calls).toHaveLength(2);
      const productBins = registry.snapshot().entities.get(product)?.features;
      expect(new Set(calls[0]?.bins)).toEqual(
        new Set([
          productBins?.get("count")?.def.bin,
          productBins?.get("emb")?.def.bin,
          WRITTEN_AT_BIN,
        ]),
      );
      expect(calls[0]?.keys).toBe(3);
    });

    it("sums a counter's per-region bins", async () => {
      const bin = registry.snapshot().entities.get("item_region")?.features.get("views_1h")
        ?.def.bin;
      if (!bin) throw new Error("no views_1h");
      const key = `i${id}|eu`;
      const bucket = String(Math.floor(clock / 300_000)).padStart(10, "0");
      for (const [region, count] of [
        ["eu", 3],
        ["us", 4],
      ] as const) {
        await store.operate(featureRecordKey(target.namespace, "item_region", key), [
          { op: "mapAdd", bin: regionalBin(bin, region), key: bucket, value: count },
          { op: "mapPut", bin: WRITTEN_AT_BIN, key: bin, value: clock },
        ]);
      }
      const row = (await serve([key, `n${id}|eu`], ["views_1h", "ctr_24h"], "item_region"))?.rows;
      expect(row?.[0]).toMatchObject({ values: [7, 1 / 21], status: ["present", "default"] });
      expect(row?.[1]?.status).toEqual(["default", "default"]);
    });

    it("refuses unknown entities, features, malformed keys and too many keys with 400s", async () => {
      const refused = async (groups: Parameters<FeatureServer["get"]>[0]) => {
        const error = await server.get(groups).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ApiError);
        return (error as ApiError).message;
      };
      expect(await refused([{ entity: "nope", keys: ["a"], features: ["x"] }])).toContain(
        'unknown entity "nope"',
      );
      expect(await refused([{ entity: product, keys: ["a"], features: ["nope"] }])).toContain(
        'unknown feature "nope"',
      );
      expect(await refused([{ entity: pair, keys: ["only-one"], features: ["seen"] }])).toContain(
        "has 1 part(s)",
      );
      const many = Array.from({ length: 1_001 }, (_, i) => `k${i}`);
      expect(await refused([{ entity: product, keys: many, features: ["count"] }])).toContain(
        "at most 1000 keys",
      );
    });
  });
}
