import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Aerospike from "aerospike";
import { open } from "lmdb";
import { loadOriginConfig } from "../../origin/src/config/origin-config.js";
import { AerospikeStore } from "../../origin/src/store/aerospike/aerospike-store.js";
import { LmdbStore } from "../../origin/src/store/lmdb/lmdb-store.js";
import type { Operation, RecordKey, StorePort } from "../../origin/src/store/port.js";
import { type Measurement, type MeasureOptions, measurePair } from "../lib/measure.js";

const RECORDS = 10_000;
const BATCH = 100;
/** A feature-like record: 16 numeric bins, a category, a recent-items list and a 32-d vector. */
function recordBins(i: number) {
  const bins: Record<string, number | string | string[] | Uint8Array> = {
    cat: `c${i % 20}`,
    recent: Array.from({ length: 10 }, (_, j) => `i${(i + j) % RECORDS}`),
    emb: new Uint8Array(Float32Array.from({ length: 32 }, (_, j) => Math.sin(i + j)).buffer),
  };
  for (let f = 0; f < 16; f++) bins[`f${f}`] = f % 2 === 0 ? i + f : (i + f) / 7;
  return bins;
}

/** Deterministic pseudo-random key picks so adapter and raw read the very same keys. */
function pick(i: number, salt: number): number {
  return Math.imul(i + 1, 2654435761 + salt) >>> 0;
}

const OPERATE: Operation[] = [
  { op: "add", bin: "views", value: 1 },
  { op: "listPush", bin: "recent", values: ["new"], front: true, cap: 20 },
  { op: "read", bin: "views" },
];

async function populate(store: StorePort, key: (i: number) => RecordKey): Promise<void> {
  for (let i = 0; i < RECORDS; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, RECORDS - i) }, (_, j) =>
        store.put(key(i + j), recordBins(i + j)),
      ),
    );
  }
}

function batchKeys<K>(i: number, key: (n: number) => K): K[] {
  return Array.from({ length: BATCH }, (_, j) => key(pick(i * BATCH + j, 7) % RECORDS));
}

/** The same three operations, through our adapter and through the raw library, measured in alternation. */
interface RawOps {
  get(i: number): Promise<unknown>;
  batchGet(i: number): Promise<unknown>;
  operate(i: number): Promise<unknown>;
}

async function measureStore(
  store: StorePort,
  raw: RawOps,
  target: string,
  key: (i: number) => RecordKey,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const label = { suite: "store", target };
  return [
    ...(await measurePair(
      { ...label, op: "get (all bins)" },
      (i) => store.get(key(pick(i, 1) % RECORDS)),
      raw.get,
      options,
    )),
    ...(await measurePair(
      { ...label, op: `batchGet ${BATCH}` },
      (i) => store.batchGet(batchKeys(i, key)),
      raw.batchGet,
      options,
    )),
    ...(await measurePair(
      { ...label, op: "operate add+push+read" },
      (i) => store.operate(key(pick(i, 3) % RECORDS), OPERATE),
      raw.operate,
      options,
    )),
  ];
}

export async function lmdbStoreBench(options: MeasureOptions): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), "reco-bench-lmdb-"));
  const path = join(dir, "db");
  const key = (i: number): RecordKey => ({ ns: "bench", set: "feat", key: `k${i}` });
  const store = new LmdbStore({ path });
  // Baseline: lmdb-js itself on the same database, no validation, expiry or projection.
  const root = open({ path, maxDbs: 4 });
  try {
    await populate(store, key);
    const records = root.openDB<
      { b: Record<string, unknown>; g: number; e: number },
      [string, string, string]
    >({
      name: "records",
    });
    const rawKey = (i: number): [string, string, string] => ["bench", "feat", `k${i}`];
    return await measureStore(
      store,
      {
        get: async (i) => records.get(rawKey(pick(i, 1) % RECORDS)),
        batchGet: async (i) => batchKeys(i, rawKey).map((k) => records.get(k)),
        operate: (i) =>
          records.transaction(() => {
            const k = rawKey(pick(i, 3) % RECORDS);
            const stored = records.get(k);
            if (!stored) return undefined;
            const bins = { ...stored.b };
            bins.views = ((bins.views as number | undefined) ?? 0) + 1;
            bins.recent = ["new", ...((bins.recent as string[] | undefined) ?? [])].slice(0, 20);
            records.put(k, { ...stored, b: bins, g: stored.g + 1 });
            return bins.views;
          }),
      },
      "lmdb",
      key,
      options,
    );
  } finally {
    await store.close();
    await root.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function aerospikeStoreBench(
  hosts: string,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const config = loadOriginConfig({
    STORE: "aerospike",
    AEROSPIKE_HOSTS: hosts,
    AEROSPIKE_NAMESPACE: process.env.AEROSPIKE_NAMESPACE,
    ORIGIN_SIGNING_SECRET: "bench-only-secret-value",
  }).store;
  if (config.kind !== "aerospike") throw new Error("expected aerospike config");
  const set = `bench${Date.now().toString(36)}`;
  const key = (i: number): RecordKey => ({ ns: config.namespace, set, key: `k${i}` });
  const store = await AerospikeStore.connect(config);
  // Baseline: the official client called directly with the same timeouts.
  const client = await Aerospike.connect({
    hosts: config.hosts,
    maxConnsPerNode: config.maxConnsPerNode,
  });
  try {
    await populate(store, key);
    const { lists, operations } = Aerospike;
    const readPolicy = new Aerospike.ReadPolicy({
      totalTimeout: config.readTimeoutMs,
      maxRetries: 2,
    });
    const batchPolicy = new Aerospike.BatchPolicy({
      totalTimeout: config.batchTimeoutMs,
      maxRetries: 2,
    });
    const operatePolicy = new Aerospike.OperatePolicy({
      totalTimeout: config.writeTimeoutMs,
      maxRetries: 0,
    });
    const rawKey = (i: number) => new Aerospike.Key(config.namespace, set, `k${i}`);
    return await measureStore(
      store,
      {
        get: (i) => client.get(rawKey(pick(i, 1) % RECORDS), readPolicy),
        batchGet: (i) =>
          client.batchRead(
            batchKeys(i, rawKey).map((k) => ({
              type: Aerospike.batchType.BATCH_READ,
              key: k,
              readAllBins: true,
            })),
            batchPolicy,
          ),
        operate: (i) =>
          client.operate(
            rawKey(pick(i, 3) % RECORDS),
            [
              operations.add("views", 1),
              lists.insertItems("recent", 0, ["new"]),
              lists.removeByIndexRange("recent", 20),
              operations.read("views"),
            ],
            { ttl: -2 },
            operatePolicy,
          ),
      },
      "aerospike",
      key,
      options,
    );
  } finally {
    await client.truncate(config.namespace, set, 0).catch(() => undefined);
    await store.close();
    await client.close(false);
  }
}
