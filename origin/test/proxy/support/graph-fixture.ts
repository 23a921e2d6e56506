import { expect } from "vitest";
import type { RetrievalGraphInput } from "#shared/models/graph";
import { recordKeys } from "../../../src/catalog/record-keys.js";
import { FeatureRegistry } from "../../../src/features/registry/feature-registry.js";
import { writeFeatures } from "../../../src/features/write/write-features.js";
import type { RecordKey, StorePort } from "../../../src/store/port.js";
import { runId, type StoreTarget } from "../../features/support/store-targets.js";
import { forwardingStore } from "../../support/forwarding-store.js";

/**
 * A small feature world for graph, registry and rank tests, with entity
 * names unique per run (so runs on a shared Aerospike server never meet):
 * items with category/brand/price/stock/embedding, a user, user×category
 * affinity, brand popularity and item×region views.
 */
export interface GraphWorld {
  id: string;
  store: StorePort;
  namespace: string;
  registry: FeatureRegistry;
  entities: { item: string; user: string; uc: string; brand: string; ir: string };
  /** A graph over the world with 8 columns. */
  graph: RetrievalGraphInput;
  close(): Promise<void>;
}

export const WORLD_CANDIDATES = ["i1", "i2", "i3", "i4"];

export async function openGraphWorld(
  target: StoreTarget,
  wrap?: (store: StorePort) => StorePort,
): Promise<GraphWorld> {
  const id = runId();
  const { store: raw, cleanup } = await target.open();
  const store = wrap ? wrap(raw) : raw;
  const keys = recordKeys(target.namespace);
  const registryRecord = `feature-registry-${id}`;
  const registry = await FeatureRegistry.open(raw, keys, { pollMs: 0, recordName: registryRecord });
  const entities = {
    item: `it${id}`,
    user: `us${id}`,
    uc: `uc${id}`,
    brand: `br${id}`,
    ir: `ir${id}`,
  };
  const entityDefs: [string, string[]][] = [
    [entities.item, ["item"]],
    [entities.user, ["user"]],
    [entities.uc, ["user", "category"]],
    [entities.brand, ["brand"]],
    [entities.ir, ["item", "region"]],
  ];
  for (const [name, keyParts] of entityDefs) {
    expect((await registry.putEntity({ name, keyParts, description: "" })).ok).toBe(true);
  }
  const features: [string, Record<string, unknown>][] = [
    [entities.item, { name: "cat", type: "string" }],
    [entities.item, { name: "brand", type: "string" }],
    [entities.item, { name: "price", type: "float" }],
    [entities.item, { name: "stock", type: "bool", default: false }],
    [entities.item, { name: "cnt", type: "int", default: 7 }],
    [entities.item, { name: "emb", type: "vector", dim: 3 }],
    [entities.item, { name: "tags", type: "string_list", default: [] }],
    [entities.item, { name: "twin", type: "string" }],
    [entities.user, { name: "emb", type: "vector", dim: 3 }],
    [entities.user, { name: "age", type: "int" }],
    [entities.uc, { name: "aff", type: "float" }],
    [entities.brand, { name: "pop", type: "float" }],
    [entities.ir, { name: "views", type: "int", default: 0 }],
  ];
  for (const [entity, def] of features) {
    const result = await registry.putFeature({ entity, ...def });
    expect(result.ok, JSON.stringify(result)).toBe(true);
  }
  const writer = { store: raw, namespace: target.namespace, registry };
  const write = async (entity: string, rows: unknown[]) => {
    const result = await writeFeatures(writer, entity, rows);
    expect(result.errors).toEqual([]);
  };
  await write(entities.item, [
    {
      key: "i1",
      values: { cat: "c1", brand: "b1", price: 10, stock: true, emb: [1, 0, 0], twin: "i2" },
    },
    { key: "i2", values: { cat: "c1", brand: "b2", price: 20, stock: false } },
    { key: "i3", values: { cat: "c2", brand: "b1", price: 30, cnt: 3, twin: "i9" } },
  ]);
  await write(entities.user, [{ key: "u1", values: { emb: [1, 2, 3], age: 30 } }]);
  await write(entities.uc, [{ key: "u1|c1", values: { aff: 0.5 } }]);
  await write(entities.brand, [{ key: "b1", values: { pop: 0.9 } }]);
  await write(entities.ir, [{ key: "i1|eu", values: { views: 5 } }]);

  const graph: RetrievalGraphInput = {
    nodes: [
      { id: "item", entity: entities.item, key: [{ input: "candidate" }] },
      { id: "user", entity: entities.user, key: [{ input: "userId" }] },
      {
        id: "uc",
        entity: entities.uc,
        key: [{ input: "userId" }, { node: "item", feature: "cat" }],
      },
      { id: "brand", entity: entities.brand, key: [{ node: "item", feature: "brand" }] },
      { id: "ir", entity: entities.ir, key: [{ input: "candidate" }, { input: "region" }] },
    ],
    columns: [
      { node: "item", feature: "price" },
      { node: "item", feature: "stock" },
      { node: "item", feature: "cnt" },
      { node: "uc", feature: "aff", default: 0 },
      { node: "brand", feature: "pop" },
      { node: "ir", feature: "views" },
      {
        name: "sim",
        dot: [
          { node: "user", feature: "emb" },
          { node: "item", feature: "emb" },
        ],
      },
      { node: "user", feature: "age", default: -1 },
    ],
  };
  return {
    id,
    store,
    namespace: target.namespace,
    registry,
    entities,
    graph,
    close: async () => {
      registry.close();
      await raw.remove(keys.meta(registryRecord));
      await cleanup();
    },
  };
}

/** Wraps a store and records every key each `batchGet`/`get` asked for. */
export function countingStore(store: StorePort): StorePort & {
  calls: { method: string; keys: RecordKey[] }[];
  reset(): void;
} {
  const calls: { method: string; keys: RecordKey[] }[] = [];
  return {
    ...forwardingStore(store),
    calls,
    reset: () => {
      calls.length = 0;
    },
    get: (key, bins) => {
      calls.push({ method: "get", keys: [key] });
      return store.get(key, bins);
    },
    batchGet: (keys, bins) => {
      calls.push({ method: "batchGet", keys: [...keys] });
      return store.batchGet(keys, bins);
    },
  };
}
