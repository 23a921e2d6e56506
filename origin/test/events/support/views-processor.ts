import type { AcceptedEvent } from "#shared/api/events";
import {
  bucketIndex,
  bucketKey,
  featureRecordKey,
  joinKey,
  regionalBin,
} from "../../../src/features/layout.js";
import { systemBin } from "../../../src/features/system-features.js";
import type { StorePort } from "../../../src/store/port.js";
import type { StreamProcessor } from "../../../src/stream/stream-processor-port.js";

/**
 * A minimal stand-in for the stream processor: counts views into the
 * `views_24h` window layout, nothing else. Lets the ingestion tests run
 * before/without the real processor; `failFirst` makes its first calls throw.
 */
export function viewsProcessor(store: StorePort, ns: string, failFirst = 0): StreamProcessor {
  let failures = failFirst;
  return {
    async apply(events: readonly AcceptedEvent[]) {
      if (failures > 0) {
        failures--;
        throw new Error("processor failed (test)");
      }
      await Promise.all(
        events
          .filter((event) => event.type === "view")
          .flatMap((event) =>
            event.itemIds.map((item) =>
              store.operate(featureRecordKey(ns, "item_region", joinKey([item, event.region])), [
                {
                  op: "mapAdd",
                  bin: regionalBin(systemBin("item_region", "views_24h"), event.region),
                  key: bucketKey(bucketIndex(event.ts, 3600)),
                  value: 1,
                },
              ]),
            ),
          ),
      );
    },
  };
}
