import type { RecordKeys } from "../catalog/record-keys.js";
import type { Logger } from "../logger.js";
import type { StorePort } from "../store/port.js";
import type { FeatureServices } from "./feature-services.js";
import { FeatureLog } from "./logging/feature-log.js";
import { FeatureRegistry } from "./registry/feature-registry.js";
import { FeatureServer } from "./serving/feature-server.js";

export interface FeatureServicesConfig {
  store: StorePort;
  keys: RecordKeys;
  namespace: string;
  region: string;
  registryPollMs: number;
  logSampleRate: number;
  logPath: string;
  logger?: Logger;
  now?: () => number;
}

/**
 * Builds the feature platform once per process: loads the registry (and
 * starts polling it), records this origin's region, and wires serving,
 * writes and the training log to it. `close` stops polling and flushes the log.
 */
export async function createFeatureServices(
  config: FeatureServicesConfig,
): Promise<FeatureServices & { close(): Promise<void> }> {
  const registry = await FeatureRegistry.open(config.store, config.keys, {
    pollMs: config.registryPollMs,
    logger: config.logger,
    now: config.now,
  });
  await registry.registerRegion(config.region);
  const log = new FeatureLog({
    path: config.logPath,
    sampleRate: config.logSampleRate,
    logger: config.logger,
  });
  const server = new FeatureServer({
    store: config.store,
    namespace: config.namespace,
    registry,
    log,
    now: config.now,
  });
  return {
    registry,
    server,
    log,
    writer: { store: config.store, namespace: config.namespace, registry, now: config.now },
    close: async () => {
      registry.close();
      await log.close();
    },
  };
}
