import type { RecordKey } from "../store/port.js";

/**
 * Where each entity lives in the store. One function per entity so the layout
 * is decided in one place (sets are Aerospike sets; names stay short).
 */
export function recordKeys(ns: string) {
  return {
    item: (id: string): RecordKey => ({ ns, set: "item", key: id }),
    user: (id: string): RecordKey => ({ ns, set: "user", key: id }),
    /** Popularity list for a region, or `global` for all regions. */
    popular: (scope: string): RecordKey => ({ ns, set: "popular", key: scope }),
    meta: (name: string): RecordKey => ({ ns, set: "meta", key: name }),
  };
}
export type RecordKeys = ReturnType<typeof recordKeys>;
