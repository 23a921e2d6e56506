import { loadStoreConfig } from "../../origin/src/config/origin-config.js";

/**
 * The Aerospike store config a suite loads its fixture with: the origin's own
 * parsing, with a patient write timeout because loading ~10,000 wide records
 * competes with whatever else the box runs.
 */
export function aerospikeBenchConfig(hosts: string) {
  const config = loadStoreConfig({
    STORE: "aerospike",
    AEROSPIKE_HOSTS: hosts,
    AEROSPIKE_NAMESPACE: process.env.AEROSPIKE_NAMESPACE,
    AEROSPIKE_WRITE_TIMEOUT_MS: "10000",
  });
  if (config.kind !== "aerospike") throw new Error("expected aerospike config");
  return config;
}
