import { vi } from "vitest";
import type { LmdbStore } from "../../../src/store/lmdb/lmdb-store.js";

/**
 * A spy on the write transactions of `store`'s records database: with nothing
 * else writing, each is one round of a sweep (`mockRestore` it after).
 */
export function spyOnSweepRounds(store: LmdbStore) {
  const records = (store as unknown as { records: { transaction: (...args: never[]) => unknown } })
    .records;
  return vi.spyOn(records, "transaction");
}
