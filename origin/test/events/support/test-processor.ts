import type { OriginConfig } from "../../../src/config/origin-config.js";
import type { StorePort } from "../../../src/store/port.js";
import type { StreamProcessor } from "../../../src/stream/stream-processor-port.js";
import { viewsProcessor } from "./views-processor.js";

/** Overrides for `startOrigin` in tests: the processor the ingestion tests run against. */
export function testProcessor(config: OriginConfig): {
  createProcessor?: (store: StorePort) => StreamProcessor;
} {
  return { createProcessor: (store) => viewsProcessor(store, config.store.namespace) };
}
