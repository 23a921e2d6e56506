import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LmdbStore, type LmdbStoreOptions } from "../../src/store/lmdb/lmdb-store.js";
import type { OperateRequest } from "../../src/store/port.js";
import { spyOnSweepRounds } from "./support/sweep-transactions.js";

// `groupedExpiryIndex` (the event log's environment): one expiry-index entry per expiry time and
// set per transaction instead of one per record. Expired records must still all be swept, and
// only those; entries written per record (an environment from before) are swept too.

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-grouped-expiry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = (id: string) => ({ ns: "t", set: "log", key: id });
const ids = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

function creates(list: readonly string[], ttl: number): OperateRequest[] {
  return list.map((id) => ({
    key: key(id),
    operations: [{ op: "put", bin: "v", value: 1 }],
    options: { expectGen: 0, ttl },
  }));
}

function openStore(
  name: string,
  clock: { now: number },
  options: Partial<LmdbStoreOptions> = {},
): LmdbStore {
  return new LmdbStore({
    path: join(dir, name),
    now: () => clock.now,
    sweepIntervalMs: 60_000,
    groupedExpiryIndex: true,
    ...options,
  });
}

/** How many records of the set are stored, expired or not (a raw scan of the records database). */
function storedCount(store: LmdbStore): number {
  const records = (store as unknown as { records: { getKeys(range: object): Iterable<unknown> } })
    .records;
  let count = 0;
  for (const _ of records.getKeys({ start: ["t", "log"], end: ["t", "log\u0000"] })) count++;
  return count;
}

/** Entries in the expiry index. */
function indexEntries(store: LmdbStore): number {
  const expiries = (store as unknown as { expiries: { getKeys(): Iterable<unknown> } }).expiries;
  let count = 0;
  for (const _ of expiries.getKeys()) count++;
  return count;
}

describe("LMDB grouped expiry index", () => {
  it("sweeps every expired record of a large transaction, and only those", async () => {
    const clock = { now: 1_000_000 };
    const store = openStore("large", clock);
    // 2,500 records with one expiry: three grouped entries (1,000 ids each at most).
    const due = ids("due", 2_500);
    expect((await store.operateMany(creates(due, 10))).every((r) => "gen" in r)).toBe(true);
    await store.operateMany(creates(["later"], 100));
    // A rewrite with a longer TTL moves a record out of its group's sweep.
    await store.operate(key("due7"), [{ op: "add", bin: "v", value: 1 }], { ttl: 100 });
    // A rewrite keeping the TTL stays in its group.
    await store.operate(key("due8"), [{ op: "add", bin: "v", value: 1 }]);
    // Three groups of the large transaction, "later"'s and due7's new expiry.
    expect(indexEntries(store)).toBe(5);
    clock.now += 11_000;
    expect(await store.sweepExpired()).toBe(2_499);
    expect(storedCount(store)).toBe(2);
    expect((await store.get(key("due7")))?.bins.v).toBe(2);
    expect((await store.get(key("later")))?.bins.v).toBe(1);
    expect(await store.sweepExpired()).toBe(0);
    clock.now += 100_000;
    expect(await store.sweepExpired()).toBe(2);
    expect(storedCount(store)).toBe(0);
    expect(indexEntries(store)).toBe(0);
    await store.close();
  });

  it("keeps a record re-created after its expiry until its new expiry", async () => {
    const clock = { now: 1_000_000 };
    const store = openStore("recreated", clock);
    await store.operateMany(creates(["a", "b"], 10));
    clock.now += 11_000;
    // Expired, not swept yet: create-only takes the id again with a new expiry.
    await store.operateMany(creates(["a"], 10));
    expect(await store.sweepExpired()).toBe(1);
    expect((await store.get(key("a")))?.bins.v).toBe(1);
    clock.now += 11_000;
    expect(await store.sweepExpired()).toBe(1);
    expect(storedCount(store)).toBe(0);
    await store.close();
  });

  it("sweeps per-record entries an environment got before, beside grouped ones", async () => {
    const clock = { now: 1_000_000 };
    const before = openStore("upgrade", clock, { groupedExpiryIndex: false });
    await before.operateMany(creates(ids("old", 30), 10));
    await before.close();
    const after = openStore("upgrade", clock);
    await after.operateMany(creates(ids("new", 30), 10));
    // Dedupe across the upgrade: the old records are still taken.
    const again = await after.operateMany(creates(["old3"], 10));
    expect(again[0]).toMatchObject({ code: "generation_conflict" });
    clock.now += 11_000;
    expect(await after.sweepExpired()).toBe(60);
    expect(storedCount(after)).toBe(0);
    await after.close();
  });

  it("bounds a sweep transaction by records visited, taking a grouped entry whole", async () => {
    const clock = { now: 1_000_000 };
    const store = openStore("bounded", clock, { sweepBatch: 10 });
    // Five transactions of 4 records: five grouped entries, 20 records.
    for (let t = 0; t < 5; t++) await store.operateMany(creates(ids(`t${t}-`, 4), 10));
    clock.now += 11_000;
    const transaction = spyOnSweepRounds(store);
    expect(await store.sweepExpired()).toBe(20);
    // 12 (three entries: the third passes 10), 8 (two entries, under the limit: the sweep ends).
    expect(transaction).toHaveBeenCalledTimes(2);
    transaction.mockRestore();
    expect(storedCount(store)).toBe(0);
    await store.close();
  });
});
