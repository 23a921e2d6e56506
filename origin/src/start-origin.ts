import { type ServerType, serve } from "@hono/node-server";
import { createOriginApp } from "./app.js";
import { recordKeys } from "./catalog/record-keys.js";
import type { OriginConfig } from "./config/origin-config.js";
import { createEventIngestion } from "./events/event-ingestion.js";
import { createEventLog } from "./events/event-log.js";
import { openEventLogStore } from "./events/event-log-store.js";
import { ExperimentsStore } from "./experiments/experiments-store.js";
import { createFeatureServices } from "./features/create-feature-services.js";
import { createLogger, type Logger } from "./logger.js";
import { ModelRegistry } from "./models/registry/model-registry.js";
import { createHotServices } from "./publish/hot-services.js";
import { RulesStore } from "./rules/rules-store.js";
import { seedDemoData } from "./seed/seed-demo-data.js";
import { seedDemoModel } from "./seed/seed-demo-model.js";
import { createStore } from "./store/create-store.js";
import type { StorePort } from "./store/port.js";
import { createStreamProcessor } from "./stream/stream-processor.js";
import type { StreamProcessor } from "./stream/stream-processor-port.js";
import { createThreadedStreamProcessor } from "./stream/threaded-stream-processor.js";

export interface RunningOrigin {
  url: string;
  port: number;
  logger: Logger;
  /** The process's store (tests read what the routes wrote). */
  store: StorePort;
  /** The event log's store: on LMDB an environment of its own, else `store`. */
  eventLogStore: StorePort;
  /** Resolves once every event accepted so far is applied to the features (tests, bench). */
  eventsApplied(): Promise<void>;
  /** Stops accepting requests, applies the accepted events, then closes the store. */
  stop(): Promise<void>;
}

/** Builds the store and app once and starts listening; used by the CLI entry and by tests. */
export async function startOrigin(
  config: OriginConfig,
  overrides: { createProcessor?: (store: StorePort) => StreamProcessor } = {},
): Promise<RunningOrigin> {
  const logger = createLogger(config.logLevel);
  const store = await createStore(config.store);
  const keys = recordKeys(config.store.namespace);
  const features = await createFeatureServices({
    store,
    keys,
    namespace: config.store.namespace,
    region: config.region,
    registryPollMs: config.features.registryPollMs,
    logSampleRate: config.features.logSampleRate,
    logPath: config.features.logPath,
    logger,
  });
  // Same cadence as the feature registry: config changes reach every process within about that.
  const surfaceConfig = { pollMs: config.features.registryPollMs, logger };
  const rules = await RulesStore.open(store, keys, surfaceConfig);
  const experiments = await ExperimentsStore.open(store, keys, surfaceConfig);
  // Same cadence as the feature registry: an activation reaches every process within about that.
  const models = ModelRegistry.open(store, keys, features.registry, {
    pollMs: config.features.registryPollMs,
    logger,
  });
  if (config.seedDemoData) {
    const started = Date.now();
    const result = await seedDemoData(store, keys, features);
    logger.info(
      { ...result, ms: Date.now() - started },
      result.seeded ? "seeded demo data" : "reusing demo data",
    );
    // After the features: the demo graph is validated against them.
    if (await seedDemoModel(models)) logger.info("registered the demo model");
  }
  // LMDB: the features are written on a worker thread, so logging and applying use both cores.
  const processor =
    overrides.createProcessor?.(store) ??
    (config.store.kind === "lmdb"
      ? await createThreadedStreamProcessor({ store: config.store, region: config.region }, logger)
      : createStreamProcessor({
          store,
          ns: config.store.namespace,
          region: config.region,
          logger,
        }));
  const eventLogStore = openEventLogStore(config.store, store);
  const events = createEventIngestion({
    log: createEventLog(
      eventLogStore,
      config.store.namespace,
      config.events.dedupeWindowSeconds,
      config.region,
    ),
    processor,
    region: config.region,
    dedupeWindowSeconds: config.events.dedupeWindowSeconds,
    failpoint: config.failpoint,
    logger,
  });
  // Deliveries a previous process acknowledged but did not apply (a crash): applied first.
  const recovered = await events.recover();
  if (recovered.deliveries > 0) logger.info(recovered, "recovering logged, unapplied events");
  // After the seed, so seeding does not publish 5,000 items: edges pull what they miss.
  const hot = createHotServices({
    store,
    keys,
    namespace: config.store.namespace,
    features,
    rules,
    experiments,
    models,
    logger,
    signingSecret: config.signingSecret,
    targets: config.hot.edges,
    refreshMs: config.hot.refreshMs,
    poolRebuildMs: config.hot.poolRebuildMs,
    queueMax: config.hot.queueMax,
  });
  const app = createOriginApp({
    store,
    keys,
    region: config.region,
    signingSecret: config.signingSecret,
    logger,
    events,
    features,
    adminToken: config.adminToken,
    models,
    rules,
    experiments,
    hot,
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () =>
      resolve(s),
    );
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  logger.info({ url, store: store.kind, region: config.region }, "origin listening");
  hot.publisher?.start();
  return {
    url,
    port,
    logger,
    store,
    eventLogStore,
    eventsApplied: () => events.idle(),
    stop: async () => {
      hot.publisher?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await events.stop();
      await features.close();
      models.close();
      rules.close();
      experiments.close();
      if (eventLogStore !== store) await eventLogStore.close();
      await store.close();
    },
  };
}
