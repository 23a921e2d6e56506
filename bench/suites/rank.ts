import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FeatureDefinitionInput } from "#shared/features/definitions";
import type { RetrievalGraphInput } from "#shared/models/graph";
import { recordKeys } from "../../origin/src/catalog/record-keys.js";
import { featureRecordKey } from "../../origin/src/features/layout.js";
import { FeatureRegistry } from "../../origin/src/features/registry/feature-registry.js";
import { FeatureServer } from "../../origin/src/features/serving/feature-server.js";
import { writeFeatures } from "../../origin/src/features/write/write-features.js";
import { ModelRegistry } from "../../origin/src/models/registry/model-registry.js";
import { syntheticXgboostJson } from "../../origin/src/models/synthetic/synthetic-forests.js";
import { executeGraph } from "../../origin/src/proxy/execute-graph.js";
import { rankCandidates } from "../../origin/src/proxy/rank-candidates.js";
import { AerospikeStore } from "../../origin/src/store/aerospike/aerospike-store.js";
import { LmdbStore } from "../../origin/src/store/lmdb/lmdb-store.js";
import type { StorePort } from "../../origin/src/store/port.js";
import { aerospikeBenchConfig } from "../lib/aerospike-bench-config.js";
import { type Measurement, type MeasureOptions, measure, measurePair } from "../lib/measure.js";

/** The shape: 200 candidates, 40 columns, a 300-tree depth-6 forest. */
const CANDIDATES = 200;
const ITEM_FEATURES = 30;
const USER_FEATURES = 5;
const AFFINITY_FEATURES = 5;
const ITEMS = 10_000;
const USERS = 100;
const CATEGORIES = 20;
/** Long enough for the Aerospike client's tend timer (1 s) to run after a synchronous phase. */
const SETTLE_MS = 1_100;
const FOREST = { trees: 300, depth: 6, features: 40, seed: 42 };

/** Deterministic pseudo-random picks so every side reads the very same keys. */
function pick(i: number, salt: number): number {
  return Math.imul(i + 1, 2654435761 + salt) >>> 0;
}

const categoryOf = (item: number) => `c${item % CATEGORIES}`;

interface Fixture {
  server: FeatureServer;
  /** The same serving path over another store on the same data (the LMDB read cache off). */
  serverOn(store: StorePort): FeatureServer;
  models: ModelRegistry;
  modelId: string;
  item: string;
  user: string;
  affinity: string;
  bins: { item: string[]; user: string[]; affinity: string[] };
  close(): Promise<void>;
}

async function prepare(store: StorePort, namespace: string, id: string): Promise<Fixture> {
  const keys = recordKeys(namespace);
  const registry = await FeatureRegistry.open(store, keys, {
    pollMs: 0,
    recordName: `feature-registry-rank-${id}`,
  });
  const item = `rki${id}`;
  const user = `rku${id}`;
  const affinity = `rka${id}`;
  for (const [name, keyParts] of [
    [item, ["item"]],
    [user, ["user"]],
    [affinity, ["user", "category"]],
  ] as const) {
    const result = await registry.putEntity({ name, keyParts: [...keyParts], description: "" });
    if (!result.ok) throw new Error(result.message);
  }
  const numeric = (entity: string, count: number): FeatureDefinitionInput[] =>
    Array.from({ length: count }, (_, i) =>
      i % 5 === 1
        ? { entity, name: `f${i}`, type: "int", default: 0 }
        : { entity, name: `f${i}`, type: "float" },
    );
  const defs = [
    ...numeric(item, ITEM_FEATURES),
    { entity: item, name: "cat", type: "string", default: "" } as FeatureDefinitionInput,
    ...numeric(user, USER_FEATURES),
    ...numeric(affinity, AFFINITY_FEATURES),
  ];
  for (const def of defs) {
    const result = await registry.putFeature(def);
    if (!result.ok) throw new Error(result.message);
  }
  // 16 rows in flight: the load is setup, not measured; gentle on a shared server.
  const writer = { store, namespace, registry, concurrency: 16 };
  const values = (count: number, row: number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `f${i}`,
        i % 5 === 1 ? (row * 7 + i) % 100 : Math.sin(row + i),
      ]),
    );
  const write = async (entity: string, rows: unknown[]) => {
    for (let start = 0; start < rows.length; start += 500) {
      const result = await writeFeatures(writer, entity, rows.slice(start, start + 500));
      if (result.errors.length > 0) throw new Error(result.errors[0]?.reason);
    }
  };
  await write(
    item,
    Array.from({ length: ITEMS }, (_, r) => ({
      key: `i${r}`,
      values: { ...values(ITEM_FEATURES, r), cat: categoryOf(r) },
    })),
  );
  await write(
    user,
    Array.from({ length: USERS }, (_, r) => ({ key: `u${r}`, values: values(USER_FEATURES, r) })),
  );
  await write(
    affinity,
    Array.from({ length: USERS * CATEGORIES }, (_, r) => ({
      key: `u${Math.floor(r / CATEGORIES)}|c${r % CATEGORIES}`,
      values: values(AFFINITY_FEATURES, r),
    })),
  );
  const column = (node: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({ node, feature: `f${i}` }));
  const graph: RetrievalGraphInput = {
    nodes: [
      { id: "item", entity: item, key: [{ input: "candidate" }] },
      { id: "user", entity: user, key: [{ input: "userId" }] },
      {
        id: "aff",
        entity: affinity,
        key: [{ input: "userId" }, { node: "item", feature: "cat" }],
      },
    ],
    columns: [
      ...column("item", ITEM_FEATURES),
      ...column("user", USER_FEATURES),
      ...column("aff", AFFINITY_FEATURES),
    ],
  };
  const models = ModelRegistry.open(store, keys, registry, {
    pollMs: 0,
    recordPrefix: `model-rank-${id}`,
  });
  const modelId = "bench";
  await models.upload(modelId, { model: syntheticXgboostJson(FOREST), graph });
  const snapshot = registry.snapshot();
  const binsOf = (entity: string) => [
    ...[...(snapshot.entities.get(entity)?.features.values() ?? [])].map((f) => f.def.bin),
    "_t",
  ];
  return {
    server: new FeatureServer({ store, namespace, registry }),
    serverOn: (other) => new FeatureServer({ store: other, namespace, registry }),
    models,
    modelId,
    item,
    user,
    affinity,
    bins: { item: binsOf(item), user: binsOf(user), affinity: binsOf(affinity) },
    close: async () => {
      models.close();
      registry.close();
    },
  };
}

/** Scoring never yields to the event loop: a pause lets the store client's sockets and timers run. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

function requestFor(i: number) {
  const items = Array.from({ length: CANDIDATES }, (_, j) => pick(i * CANDIDATES + j, 3) % ITEMS);
  return {
    items,
    candidates: [...new Set(items.map((n) => `i${n}`))],
    userId: `u${pick(i, 5) % USERS}`,
  };
}

async function measureRank(
  target: string,
  store: StorePort,
  namespace: string,
  f: Fixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const label = { suite: "rank", target };
  const shape = `${CANDIDATES}×40 ${FOREST.trees}t d${FOREST.depth}`;
  const active = await f.models.resolve(f.modelId);
  if (!active) throw new Error("bench model missing");
  const plan = f.models.planFor(active);
  const context = (userId: string) => ({ userId, region: "eu", surface: "home" as const });
  // Raw baseline: the same records and bins, level by level, straight from the store port.
  const rawReads = async (i: number) => {
    const request = requestFor(i);
    const [items] = await Promise.all([
      store.batchGet(
        request.candidates.map((k) => featureRecordKey(namespace, f.item, k)),
        f.bins.item,
      ),
      store.batchGet([featureRecordKey(namespace, f.user, request.userId)], f.bins.user),
    ]);
    const pairs = new Set(request.items.map((n) => `${request.userId}|${categoryOf(n)}`));
    return [
      items,
      await store.batchGet(
        [...pairs].map((k) => featureRecordKey(namespace, f.affinity, k)),
        f.bins.affinity,
      ),
    ];
  };
  const matrices = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const request = requestFor(i);
      return executeGraph(plan, f.server, request.candidates, context(request.userId));
    }),
  );
  const out = new Float64Array(CANDIDATES);
  return [
    ...(await measurePair(
      { ...label, op: `graph fetch ${CANDIDATES}×40 (vs raw reads of the same keys)` },
      (i) => {
        const request = requestFor(i);
        return executeGraph(plan, f.server, request.candidates, context(request.userId));
      },
      rawReads,
      options,
    )),
    await measure(
      { ...label, op: `scoring ${shape}`, impl: "adapter" },
      async (i) => {
        const m = matrices[i % matrices.length] as (typeof matrices)[number];
        return active.model.predict(m.matrix, m.rows, out);
      },
      options,
    ),
    await settle().then(() =>
      measure(
        { ...label, op: `rank total ${shape} (graph + score + sort, no HTTP)`, impl: "adapter" },
        (i) => {
          const request = requestFor(i);
          return rankCandidates(
            {
              models: f.models,
              features: f.server,
              // A bench run must fail with the store's own error, not a 503 body.
              onStoreError: (error) => {
                throw error;
              },
            },
            {
              modelId: f.modelId,
              candidates: request.candidates,
              context: context(request.userId),
            },
            `bench-${i}`,
          );
        },
        options,
      ),
    ),
  ];
}

/**
 * Rank of 200 candidates × 40 features with a 300-tree depth-6 XGBoost
 * model: graph fetch (3 entities over 2 levels) beside raw store reads of
 * the same keys and bins, model scoring alone, and the whole rank without
 * HTTP. LMDB always; Aerospike too when `hosts` is given.
 */
export async function rankSuite(options: MeasureOptions, hosts?: string): Promise<Measurement[]> {
  const results: Measurement[] = [];
  const dir = mkdtempSync(join(tmpdir(), "reco-bench-rank-"));
  const lmdb = new LmdbStore({ path: join(dir, "db") });
  // Every read a lookup and a decode, as on a set that is being written (`set-read-cache.ts`).
  const uncached = new LmdbStore({ path: join(dir, "db"), readCacheRecords: 0 });
  try {
    const fixture = await prepare(lmdb, "bench", "l");
    results.push(...(await measureRank("lmdb", lmdb, "bench", fixture, options)));
    const cold = { ...fixture, server: fixture.serverOn(uncached) };
    results.push(...(await measureRank("lmdb, read cache off", uncached, "bench", cold, options)));
    await fixture.close();
  } finally {
    await uncached.close();
    await lmdb.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (hosts) {
    const config = aerospikeBenchConfig(hosts);
    const store = await AerospikeStore.connect(config);
    try {
      const fixture = await prepare(store, config.namespace, Date.now().toString(36));
      results.push(...(await measureRank("aerospike", store, config.namespace, fixture, options)));
      await fixture.close();
    } finally {
      await store.close();
    }
  }
  return results;
}
