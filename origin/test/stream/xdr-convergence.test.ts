import { afterAll, describe, expect, it } from "vitest";
import type { AcceptedEvent } from "#shared/api/events";
import { featureRecordKey, joinKey } from "../../src/features/layout.js";
import { createStreamProcessor } from "../../src/stream/stream-processor.js";
import { BinConvergenceReplicator } from "../support/bin-convergence-replicator.js";
import { featureReader } from "../support/feature-reader.js";
import { openLmdbTestStore, type TestStore } from "../support/open-test-store.js";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const REGIONS = ["eu", "us"];

/**
 * Two regions, each with its own store and processor, write the same item's,
 * user's and region's counters concurrently and replicate with per-bin
 * last-writer-wins (Aerospike XDR's bin convergence).
 */
describe("counters under bin-level XDR convergence", () => {
  const sites: TestStore[] = [openLmdbTestStore(), openLmdbTestStore()];
  afterAll(async () => {
    await Promise.all(sites.map((site) => site.close()));
  });
  const [eu, us] = sites as [TestStore, TestStore];
  const replicator = new BinConvergenceReplicator([eu.store, us.store]);

  it("loses no increment with one bin per writing region", async () => {
    const clock = { now: T0 };
    const processors = REGIONS.map((region, i) =>
      createStreamProcessor({
        store: (sites[i] as TestStore).store,
        ns: "test",
        region,
        now: () => clock.now,
      }),
    );
    const item = "sku-1";
    const user = "u-1";
    let n = 0;
    const views = (count: number): AcceptedEvent[] =>
      Array.from({ length: count }, () => ({
        id: `xdr-${++n}`,
        type: "view" as const,
        userId: user,
        itemIds: [item],
        // Both regions see the same item in the same market (e.g. during a failover).
        region: "eu",
        ts: T0,
        context: { category: "shoes" },
      }));
    const keys = [
      featureRecordKey("test", "item_region", joinKey([item, "eu"])),
      featureRecordKey("test", "user_category", joinKey([user, "shoes"])),
      featureRecordKey("test", "region", "eu"),
      featureRecordKey("test", "user", user),
    ];
    // Three rounds of concurrent writes in both regions, replicating in between.
    const perRound = [
      [7, 5],
      [3, 11],
      [6, 2],
    ];
    for (const [inEu, inUs] of perRound) {
      await Promise.all([
        processors[0]?.apply(views(inEu as number)),
        processors[1]?.apply(views(inUs as number)),
      ]);
      await replicator.replicate(keys);
    }
    const total = 7 + 5 + 3 + 11 + 6 + 2;
    for (const site of sites) {
      const read = featureReader(site.store, site.ns, REGIONS);
      const itemKey = joinKey([item, "eu"]);
      expect((await read("item_region", itemKey, "views_1h", T0)).value).toBe(total);
      expect((await read("item_region", itemKey, "views_24h", T0)).value).toBe(total);
      expect(
        (await read("user_category", joinKey([user, "shoes"]), "affinity", T0)).value,
      ).toBeCloseTo(total, 9);
      expect((await read("region", "eu", "trending", T0)).value).toEqual([item]);
    }
  });

  it("would lose increments with one shared bin (the naive layout)", async () => {
    const key = { ns: "test", set: "naive", key: "sku-1" };
    const increment = (site: TestStore) =>
      site.store.operate(key, [{ op: "add", bin: "views", value: 1 }]);
    let total = 0;
    for (const [inEu, inUs] of [
      [7, 5],
      [3, 11],
    ]) {
      for (let i = 0; i < (inEu as number); i++) await increment(eu);
      for (let i = 0; i < (inUs as number); i++) await increment(us);
      total += (inEu as number) + (inUs as number);
      await replicator.replicate([key]);
    }
    const [a, b] = await Promise.all([eu.store.get(key), us.store.get(key)]);
    // Both sites converge, but on one region's count: the other's increments are gone.
    expect(a?.bins.views).toBe(b?.bins.views);
    expect(a?.bins.views).toBeLessThan(total);
    expect(a?.bins.views).toBe(5 + 11);
  });
});
