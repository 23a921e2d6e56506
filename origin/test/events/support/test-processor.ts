import type { OriginConfig } from "../../../src/config/origin-config.js";
import type { StorePort } from "../../../src/store/port.js";
import type { StreamProcessor } from "../../../src/stream/stream-processor-port.js";

/**
 * Overrides for `startOrigin` in the ingestion tests: none, so they run
 * against the real stream processor (`views-processor.ts` is the stand-in
 * used only where a test needs a processor that fails).
 */
export function testProcessor(_config: OriginConfig): {
  createProcessor?: (store: StorePort) => StreamProcessor;
} {
  return {};
}
