import type { OriginConfig } from "../config/origin-config.js";
import { LmdbStore } from "../store/lmdb/lmdb-store.js";
import type { StorePort } from "../store/port.js";

/** Where an origin on LMDB keeps its event log: beside the features' environment. */
export function eventLogPath(lmdbPath: string): string {
  return `${lmdbPath}-events`;
}

/**
 * The store of the event log. On LMDB an environment of its own: LMDB has
 * one write lock per environment, so the log's commits (every delivery's
 * claim, every flush's mark) would otherwise wait behind the stream worker's
 * feature writes, and theirs behind the log's (≈ 30% more events/s applied
 * on the events bench). Aerospike has no such lock: the same store.
 */
export function openEventLogStore(config: OriginConfig["store"], store: StorePort): StorePort {
  // No read cache: every delivery writes the log's set, so a cached record would never be read
  // twice. Grouped expiry index: a delivery's dedupe records share one TTL, so one index entry
  // lists them instead of one insert (and one delete when swept) per event.
  return config.kind === "lmdb"
    ? new LmdbStore({
        path: eventLogPath(config.path),
        readCacheRecords: 0,
        groupedExpiryIndex: true,
      })
    : store;
}
