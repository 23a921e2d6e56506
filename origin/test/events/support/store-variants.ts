import { join } from "node:path";
import { describe } from "vitest";
import { loadOriginConfig } from "../../../src/config/origin-config.js";
import { openEventLogStore } from "../../../src/events/event-log-store.js";
import { createStore } from "../../../src/store/create-store.js";
import type { StorePort } from "../../../src/store/port.js";

/** Environment that points an origin (in-process or child) at one kind of store. */
export interface StoreVariant {
  name: "lmdb" | "aerospike";
  /** Origin variables for a test whose private temp dir is `dir`. */
  env(dir: string): Record<string, string>;
}

/** The store configuration an origin with `variant.env(dir)` would load. */
function variantStoreConfig(variant: StoreVariant, dir: string) {
  return loadOriginConfig({
    ...variant.env(dir),
    ORIGIN_SIGNING_SECRET: "store-variant-test-secret",
  }).store;
}

/** Opens the store an origin with `variant.env(dir)` would use, and its namespace. */
export async function openVariantStore(
  variant: StoreVariant,
  dir: string,
): Promise<{ store: StorePort; ns: string }> {
  const config = variantStoreConfig(variant, dir);
  return { store: await createStore(config), ns: config.namespace };
}

/** Opens the store an origin with `variant.env(dir)` keeps its event log in (LMDB: its own environment). */
export async function openVariantEventLogStore(
  variant: StoreVariant,
  dir: string,
): Promise<{ store: StorePort; ns: string }> {
  const config = variantStoreConfig(variant, dir);
  const store = await createStore(config);
  const log = openEventLogStore(config, store);
  if (log !== store) await store.close();
  return { store: log, ns: config.namespace };
}

const hosts = process.env.AEROSPIKE_HOSTS;

const lmdb: StoreVariant = {
  name: "lmdb",
  env: (dir) => ({ STORE: "lmdb", LMDB_PATH: join(dir, "lmdb") }),
};

const aerospike: StoreVariant = {
  name: "aerospike",
  env: () => ({
    STORE: "aerospike",
    AEROSPIKE_HOSTS: hosts ?? "",
    AEROSPIKE_NAMESPACE: process.env.AEROSPIKE_NAMESPACE ?? "test",
  }),
};

/**
 * Runs `suite` once per store: always on LMDB, on Aerospike when
 * AEROSPIKE_HOSTS is set (reported as skipped otherwise, never silently absent).
 */
export function describeEachStore(title: string, suite: (variant: StoreVariant) => void): void {
  describe(`${title} (lmdb)`, () => suite(lmdb));
  if (hosts) describe(`${title} (aerospike)`, () => suite(aerospike));
  else describe.skip(`${title} (aerospike: set AEROSPIKE_HOSTS to run)`, () => suite(aerospike));
}
