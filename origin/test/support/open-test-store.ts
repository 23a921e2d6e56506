import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOriginConfig } from "../../src/config/origin-config.js";
import { AerospikeStore } from "../../src/store/aerospike/aerospike-store.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import type { StorePort } from "../../src/store/port.js";

export interface TestStore {
  store: StorePort;
  ns: string;
  close(): Promise<void>;
}

/** A fresh LMDB store in a temp dir, removed on close. */
export function openLmdbTestStore(now?: () => number): TestStore {
  const dir = mkdtempSync(join(tmpdir(), "reco-stream-"));
  const store = new LmdbStore(now ? { path: join(dir, "db"), now } : { path: join(dir, "db") });
  return {
    store,
    ns: "test",
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Aerospike server named by AEROSPIKE_HOSTS (tests use unique ids, never truncate). */
export async function openAerospikeTestStore(hosts: string): Promise<TestStore> {
  const config = loadOriginConfig({
    STORE: "aerospike",
    AEROSPIKE_HOSTS: hosts,
    AEROSPIKE_NAMESPACE: process.env.AEROSPIKE_NAMESPACE,
    ORIGIN_SIGNING_SECRET: "stream-test-secret",
  }).store;
  if (config.kind !== "aerospike") throw new Error("expected an aerospike store config");
  const store = await AerospikeStore.connect(config);
  return { store, ns: config.namespace, close: () => store.close() };
}
