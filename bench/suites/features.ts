import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Aerospike from "aerospike";
import { open } from "lmdb";
import type { FeatureDefinitionInput } from "#shared/features/definitions";
import { recordKeys } from "../../origin/src/catalog/record-keys.js";
import { featureSet } from "../../origin/src/features/layout.js";
import { FeatureRegistry } from "../../origin/src/features/registry/feature-registry.js";
import { FeatureServer } from "../../origin/src/features/serving/feature-server.js";
import { writeFeatures } from "../../origin/src/features/write/write-features.js";
import { AerospikeStore } from "../../origin/src/store/aerospike/aerospike-store.js";
import { LmdbStore, RECORD_STRUCTURES_KEY } from "../../origin/src/store/lmdb/lmdb-store.js";
import type { StorePort } from "../../origin/src/store/port.js";
import { aerospikeBenchConfig } from "../lib/aerospike-bench-config.js";
import { type Measurement, type MeasureOptions, measurePair } from "../lib/measure.js";

/**
 * Feature fetch through `FeatureServer` (the origin's serving path minus
 * HTTP: plan, one batched read of only the needed bins, decode, statuses,
 * TTL) beside the raw store library reading the same records and bins, in
 * alternating slices of one run. Shapes from the brief: 1 entity x 250
 * features (target p99 <= 1 ms) and 100 entities x 50 features (<= 3 ms).
 */

const WIDE_RECORDS = 1_000;
const ITEM_RECORDS = 10_000;
const BATCH = 100;

/** A realistic mix: mostly numbers, some flags, strings, lists and two 32-d vectors. */
function definitions(entity: string, count: number): FeatureDefinitionInput[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `f${i}`;
    if (i < 2) return { entity, name, type: "vector", dim: 32 };
    if (i % 10 === 1) return { entity, name, type: "int", default: 0 };
    if (i % 10 === 2) return { entity, name, type: "bool", default: false };
    if (i % 10 === 3) return { entity, name, type: "string", default: "" };
    if (i % 25 === 4) return { entity, name, type: "string_list", default: [] };
    // Some features carry a TTL so the bench pays for freshness checks too.
    return { entity, name, type: "float", ttlSeconds: i % 2 === 0 ? 86_400 : undefined };
  });
}

function valueFor(def: FeatureDefinitionInput, row: number, i: number): unknown {
  switch (def.type) {
    case "vector":
      return Array.from({ length: 32 }, (_, j) => Math.sin(row + i + j));
    case "int":
      return (row * 31 + i) % 1000;
    case "bool":
      return (row + i) % 2 === 0;
    case "string":
      return `v${(row + i) % 97}`;
    case "string_list":
      return Array.from({ length: 10 }, (_, j) => `i${(row + j) % 5000}`);
    default:
      return ((row + 1) * (i + 1)) / 7;
  }
}

/** Deterministic pseudo-random picks so both sides read the very same keys. */
function pick(i: number, salt: number): number {
  return Math.imul(i + 1, 2654435761 + salt) >>> 0;
}

interface Fixture {
  wide: string;
  item: string;
  wideFeatures: string[];
  itemFeatures: string[];
  server: FeatureServer;
  /** The same serving path over another store on the same data (the LMDB read cache off). */
  serverOn(store: StorePort): FeatureServer;
  /** Bins a raw read must fetch for each shape (the feature bins plus `_t`). */
  wideBins: string[];
  itemBins: string[];
  close(): void;
}

async function prepare(store: StorePort, namespace: string, id: string): Promise<Fixture> {
  const registry = await FeatureRegistry.open(store, recordKeys(namespace), {
    pollMs: 0,
    recordName: `feature-registry-bench-${id}`,
  });
  const wide = `bw${id}`;
  const item = `bi${id}`;
  for (const name of [wide, item]) {
    const entity = await registry.putEntity({ name, keyParts: ["id"], description: "" });
    if (!entity.ok) throw new Error(entity.message);
  }
  const wideDefs = definitions(wide, 250);
  const itemDefs = definitions(item, 50);
  for (const def of [...wideDefs, ...itemDefs]) {
    const result = await registry.putFeature(def);
    if (!result.ok) throw new Error(result.message);
  }
  // 16 rows in flight: the load is setup, not measured; gentle on a shared server.
  const writer = { store, namespace, registry, concurrency: 16 };
  for (const [entity, defs, count] of [
    [wide, wideDefs, WIDE_RECORDS],
    [item, itemDefs, ITEM_RECORDS],
  ] as const) {
    for (let start = 0; start < count; start += 500) {
      const rows = Array.from({ length: Math.min(500, count - start) }, (_, r) => ({
        key: `k${start + r}`,
        values: Object.fromEntries(defs.map((d, i) => [d.name, valueFor(d, start + r, i)])),
      }));
      const result = await writeFeatures(writer, entity, rows);
      if (result.errors.length > 0) throw new Error(result.errors[0]?.reason);
    }
  }
  const snapshot = registry.snapshot();
  const binsOf = (entity: string) => [
    ...[...(snapshot.entities.get(entity)?.features.values() ?? [])].map((f) => f.def.bin),
    "_t",
  ];
  return {
    wide,
    item,
    wideFeatures: wideDefs.map((d) => d.name),
    itemFeatures: itemDefs.map((d) => d.name),
    server: new FeatureServer({ store, namespace, registry }),
    serverOn: (other) => new FeatureServer({ store: other, namespace, registry }),
    wideBins: binsOf(wide),
    itemBins: binsOf(item),
    close: () => registry.close(),
  };
}

interface RawReads {
  one(key: string): Promise<unknown>;
  many(keys: string[]): Promise<unknown>;
}

async function measureShapes(
  target: string,
  fixture: Fixture,
  raw: RawReads,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const label = { suite: "features", target };
  const itemKeys = (i: number) =>
    Array.from({ length: BATCH }, (_, j) => `k${pick(i * BATCH + j, 7) % ITEM_RECORDS}`);
  return [
    ...(await measurePair(
      { ...label, op: "1 entity x 250 features" },
      (i) =>
        fixture.server.get([
          {
            entity: fixture.wide,
            keys: [`k${pick(i, 1) % WIDE_RECORDS}`],
            features: fixture.wideFeatures,
          },
        ]),
      (i) => raw.one(`k${pick(i, 1) % WIDE_RECORDS}`),
      options,
    )),
    ...(await measurePair(
      { ...label, op: `${BATCH} entities x 50 features` },
      (i) =>
        fixture.server.get([
          { entity: fixture.item, keys: itemKeys(i), features: fixture.itemFeatures },
        ]),
      (i) => raw.many(itemKeys(i)),
      options,
    )),
  ];
}

export async function lmdbFeaturesBench(options: MeasureOptions): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), "reco-bench-features-"));
  const path = join(dir, "db");
  const store = new LmdbStore({ path });
  // The serving path without the store's read cache (`set-read-cache.ts`): every read a
  // lookup and a decode, as on a set that is being written.
  const uncached = new LmdbStore({ path, readCacheRecords: 0 });
  // Baseline: lmdb-js itself on the same database, as it comes (its own decoder and
  // buffer copies): the same records read and the same bins taken from them.
  const root = open({ path, maxDbs: 4 });
  let fixture: Fixture | undefined;
  try {
    fixture = await prepare(store, "bench", "l");
    const records = root.openDB<{ b: Record<string, unknown> }, [string, string, string]>({
      name: "records",
      sharedStructuresKey: RECORD_STRUCTURES_KEY,
    });
    const f = fixture;
    // Each requested bin read out of the decoded record, without building an
    // object of them: the least a consumer of lmdb-js must do (copying 50
    // bins key by key into a new object would double the raw cost).
    const pickBins = (record: { b: Record<string, unknown> } | undefined, bins: string[]) => {
      let present = 0;
      if (record) for (const bin of bins) if (record.b[bin] !== undefined) present++;
      return present;
    };
    const raw: RawReads = {
      one: async (key) => pickBins(records.get(["bench", featureSet(f.wide), key]), f.wideBins),
      many: async (keys) =>
        keys.map((key) => pickBins(records.get(["bench", featureSet(f.item), key]), f.itemBins)),
    };
    return [
      ...(await measureShapes("lmdb", f, raw, options)),
      ...(await measureShapes(
        "lmdb, read cache off",
        { ...f, server: f.serverOn(uncached) },
        raw,
        options,
      )),
    ];
  } finally {
    fixture?.close();
    await store.close();
    await uncached.close();
    await root.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function aerospikeFeaturesBench(
  hosts: string,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const config = aerospikeBenchConfig(hosts);
  const id = Date.now().toString(36);
  const store = await AerospikeStore.connect(config);
  // Baseline: the official client's batchRead of the same bins with the same timeout.
  const client = await Aerospike.connect({
    hosts: config.hosts,
    maxConnsPerNode: config.maxConnsPerNode,
  });
  let fixture: Fixture | undefined;
  try {
    fixture = await prepare(store, config.namespace, id);
    const f = fixture;
    const policy = new Aerospike.BatchPolicy({
      totalTimeout: config.batchTimeoutMs,
      maxRetries: 2,
    });
    const read = (entity: string, keys: string[], bins: string[]) =>
      client.batchRead(
        keys.map((key) => ({
          type: Aerospike.batchType.BATCH_READ,
          key: new Aerospike.Key(config.namespace, featureSet(entity), key),
          bins,
        })),
        policy,
      );
    return await measureShapes(
      "aerospike",
      f,
      {
        one: (key) => read(f.wide, [key], f.wideBins),
        many: (keys) => read(f.item, keys, f.itemBins),
      },
      options,
    );
  } finally {
    fixture?.close();
    for (const entity of [`bw${id}`, `bi${id}`]) {
      await client.truncate(config.namespace, featureSet(entity), 0).catch(() => undefined);
    }
    await store.remove(recordKeys(config.namespace).meta(`feature-registry-bench-${id}`));
    await store.close();
    await client.close(false);
  }
}
