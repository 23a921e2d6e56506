import type { RecordKeys } from "../catalog/record-keys.js";
import type { ExperimentsStore } from "../experiments/experiments-store.js";
import type { FeatureServices } from "../features/feature-services.js";
import type { Logger } from "../logger.js";
import type { ModelRegistry } from "../models/registry/model-registry.js";
import type { RulesStore } from "../rules/rules-store.js";
import type { StorePort } from "../store/port.js";
import type { EdgeTarget } from "./edge-targets.js";
import { HotPublisher } from "./hot-publisher.js";
import type { HotSource } from "./hot-values.js";
import { RetrievalPoolSource } from "./retrieval-pool.js";

/** The origin's side of the edge hot layer: what `/internal/hot/*` answers from, and the publisher. */
export interface HotServices {
  source: HotSource;
  pool: RetrievalPoolSource;
  /** Absent when no edge is configured (`EDGE_PUBLISH_URLS` empty): edges then only pull. */
  publisher?: HotPublisher;
}

export interface HotServicesConfig {
  store: StorePort;
  keys: RecordKeys;
  namespace: string;
  features: FeatureServices;
  rules: RulesStore;
  experiments: ExperimentsStore;
  models?: ModelRegistry;
  logger: Logger;
  signingSecret: string;
  targets: readonly EdgeTarget[];
  refreshMs: number;
  poolRebuildMs: number;
  queueMax: number;
}

/** Built once per process by `start-origin.ts`; call `publisher.start()` once the app serves. */
export function createHotServices(config: HotServicesConfig): HotServices {
  const source: HotSource = {
    store: config.store,
    namespace: config.namespace,
    features: config.features,
    rules: config.rules,
    experiments: config.experiments,
    ...(config.models ? { models: config.models } : {}),
  };
  const pool = new RetrievalPoolSource({ ...source, keys: config.keys }, config.poolRebuildMs);
  // Overlays are cut from the pool's change log: the entries' source reads it.
  source.pool = pool;
  if (config.targets.length === 0) return { source, pool };
  const publisher = new HotPublisher({
    source,
    pool,
    targets: config.targets,
    secret: config.signingSecret,
    logger: config.logger,
    refreshMs: config.refreshMs,
    queueMax: config.queueMax,
  });
  return { source, pool, publisher };
}
