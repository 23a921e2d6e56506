import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { AcceptedEvent, EventType } from "#shared/api/events";
import type { RetrievalGraphInput } from "#shared/models/graph";
import { type RecordKeys, recordKeys } from "../../../src/catalog/record-keys.js";
import { ExperimentsStore } from "../../../src/experiments/experiments-store.js";
import { FeatureLog } from "../../../src/features/logging/feature-log.js";
import { FeatureRegistry } from "../../../src/features/registry/feature-registry.js";
import { FeatureServer } from "../../../src/features/serving/feature-server.js";
import { writeFeatures } from "../../../src/features/write/write-features.js";
import { ModelRegistry } from "../../../src/models/registry/model-registry.js";
import type { RecommendDeps } from "../../../src/recommend/recommend.js";
import { businessRulesHook } from "../../../src/rules/rules-hook.js";
import { RulesStore } from "../../../src/rules/rules-store.js";
import type { StorePort } from "../../../src/store/port.js";
import { createStreamProcessor } from "../../../src/stream/stream-processor.js";
import { runId, type StoreTarget } from "../../features/support/store-targets.js";

/** The region the stream processor writes for (its per-region bins). */
export const PROCESS_REGION = "eu";

/** A one-column graph: the item's price. */
export const PRICE_GRAPH: RetrievalGraphInput = {
  nodes: [{ id: "item", entity: "item", key: [{ input: "candidate" }] }],
  columns: [{ node: "item", feature: "price" }],
};

/** score = sigmoid(w · price): w > 0 favours dear items, w < 0 cheap ones. */
export function priceModel(weight: number) {
  return { format: "linear", version: 1, weights: [weight], bias: 0, link: "sigmoid" };
}

/**
 * A small catalog and the services the ladder and rank use, over one real
 * store, with every id, region, record name and popularity key unique to the
 * run (runs on a shared Aerospike server never meet). Stream features
 * (session items, co-visitation, trending, user history) are produced by the
 * real stream processor from events.
 */
export interface LadderWorld {
  id: string;
  store: StorePort;
  keys: RecordKeys;
  features: { registry: FeatureRegistry; server: FeatureServer };
  models: ModelRegistry;
  experiments: ExperimentsStore;
  rules: RulesStore;
  log: FeatureLog;
  deps: RecommendDeps;
  /** `item(3)` is a run-unique item id; items 0..59 exist, category `c<n % 3>`, price n + 1. */
  item(n: number): string;
  /** A run-unique name for a region, session or user (regions: at most 10 characters). */
  name(label: string): string;
  /** The global popularity list (items 0..59, best first = item 0). */
  popular: string[];
  /** When that list says it was computed. */
  popularComputedAt: number;
  events(type: EventType, fields: Partial<AcceptedEvent>, at?: number): Promise<void>;
  logLines(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export const ITEMS = 60;

export async function openLadderWorld(target: StoreTarget): Promise<LadderWorld> {
  const id = runId();
  const short = id.slice(-5);
  const { store, cleanup } = await target.open();
  const base = recordKeys(target.namespace);
  // The popularity lists live under run-unique keys so the real `popular:global` is never touched.
  const keys: RecordKeys = {
    ...base,
    popular: (scope) => ({ ns: target.namespace, set: "popular", key: `${id}-${scope}` }),
  };
  const registryRecord = `feature-registry-${id}`;
  const registry = await FeatureRegistry.open(store, base, {
    pollMs: 0,
    recordName: registryRecord,
  });
  await registry.registerRegion(PROCESS_REGION);
  for (const def of [
    { entity: "item", name: "category", type: "string", default: "" },
    { entity: "item", name: "price", type: "float" },
  ]) {
    const result = await registry.putFeature(def);
    expect(result.ok, JSON.stringify(result)).toBe(true);
  }
  const item = (n: number) => `i${n}-${id}`;
  const catalog = Array.from({ length: ITEMS }, (_, n) => ({
    key: item(n),
    values: { category: `c${n % 3}-${id}`, price: n + 1 },
  }));
  const written = await writeFeatures(
    { store, namespace: target.namespace, registry },
    "item",
    catalog,
  );
  expect(written.errors).toEqual([]);
  const popular = catalog.map((row) => row.key);
  const popularComputedAt = Date.now() - 60_000;
  await store.put(keys.popular("global"), {
    items: popular,
    scores: popular.map((_, i) => 1 - i / ITEMS),
    computedAt: popularComputedAt,
  });

  const server = new FeatureServer({ store, namespace: target.namespace, registry });
  const dir = mkdtempSync(join(tmpdir(), "reco-ladder-"));
  const logPath = join(dir, "features.ndjson");
  const log = new FeatureLog({ path: logPath, sampleRate: 1, flushIntervalMs: 60_000 });
  const models = ModelRegistry.open(store, keys, registry, {
    pollMs: 0,
    recordPrefix: `model-${id}`,
  });
  const experiments = await ExperimentsStore.open(store, keys, {
    pollMs: 0,
    recordPrefix: `experiment-${id}`,
  });
  const rules = await RulesStore.open(store, keys, { pollMs: 0, recordPrefix: `rules-${id}` });
  const features = { registry, server };
  const deps: RecommendDeps = {
    store,
    keys,
    features,
    rules: businessRulesHook({ rules, features }),
    experiments,
    rank: { models, features: server, log },
  };
  const processor = createStreamProcessor({ store, ns: target.namespace, region: PROCESS_REGION });
  let sequence = 0;
  return {
    id,
    store,
    keys,
    features,
    models,
    experiments,
    rules,
    log,
    deps,
    item,
    name: (label) => `${label}${short}`,
    popular,
    popularComputedAt,
    events: async (type, fields, at = Date.now()) => {
      sequence++;
      await processor.apply([
        {
          id: `ev${id}${sequence}`,
          type,
          itemIds: [],
          region: PROCESS_REGION,
          ts: at,
          ...fields,
        } as AcceptedEvent,
      ]);
    },
    logLines: async () => {
      await log.flush();
      return readFileSync(logPath, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    close: async () => {
      models.close();
      experiments.close();
      rules.close();
      registry.close();
      await log.close();
      await store.remove(base.meta(registryRecord));
      rmSync(dir, { recursive: true, force: true });
      await cleanup();
    },
  };
}
