import type { FeatureLog } from "./logging/feature-log.js";
import type { FeatureRegistry } from "./registry/feature-registry.js";
import type { FeatureServer } from "./serving/feature-server.js";
import type { FeatureWriteContext } from "./write/write-features.js";

/** The feature platform of one process, built once at start (`start-origin.ts`). */
export interface FeatureServices {
  registry: FeatureRegistry;
  server: FeatureServer;
  log: FeatureLog;
  /** What `writeFeatures` needs: store, namespace, registry. */
  writer: FeatureWriteContext;
}
