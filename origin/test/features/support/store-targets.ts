import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadStoreConfig } from "../../../src/config/origin-config.js";
import { AerospikeStore } from "../../../src/store/aerospike/aerospike-store.js";
import { LmdbStore } from "../../../src/store/lmdb/lmdb-store.js";
import type { StorePort } from "../../../src/store/port.js";

/** A store the feature suites run against: LMDB always, Aerospike when AEROSPIKE_HOSTS is set. */
export interface StoreTarget {
  name: "lmdb" | "aerospike";
  namespace: string;
  open(): Promise<{ store: StorePort; cleanup(): Promise<void> }>;
}

export const lmdbTarget: StoreTarget = {
  name: "lmdb",
  namespace: "reco",
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), "reco-features-"));
    const store = new LmdbStore({ path: join(dir, "db") });
    return {
      store,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export function aerospikeTarget(hosts: string): StoreTarget {
  const config = loadStoreConfig({
    STORE: "aerospike",
    AEROSPIKE_HOSTS: hosts,
    AEROSPIKE_NAMESPACE: process.env.AEROSPIKE_NAMESPACE,
  });
  if (config.kind !== "aerospike") throw new Error("expected an aerospike store config");
  return {
    name: "aerospike",
    namespace: config.namespace,
    open: async () => {
      const store = await AerospikeStore.connect(config);
      return { store, cleanup: () => store.close() };
    },
  };
}

/** A suffix that keeps this run's entities, sets and registry record apart on a shared server. */
export function runId(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
