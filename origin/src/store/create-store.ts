import type { OriginConfig } from "../config/origin-config.js";
import { AerospikeStore } from "./aerospike/aerospike-store.js";
import { LmdbStore } from "./lmdb/lmdb-store.js";
import type { StorePort } from "./port.js";

/** Builds the configured adapter once per process. */
export async function createStore(config: OriginConfig["store"]): Promise<StorePort> {
  if (config.kind === "aerospike") return AerospikeStore.connect(config);
  return new LmdbStore({ path: config.path, readCacheRecords: config.readCacheRecords });
}
