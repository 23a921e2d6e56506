import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HotWireEntry } from "#shared/hot/hot-contract";
import type { EdgeBindings } from "../src/env.js";
import { createHotLayer } from "../src/hot/hot-layer.js";
import { MemoryTier } from "../src/hot/memory-tier.js";
import type { RegionHotStore } from "../src/hot/region-hot-store.js";

const bindings = env as unknown as EdgeBindings;
/** Reads in these tests may wait for the real origin as long as they need (a loaded box is slow). */
const PATIENT = { pullWaitMs: 20_000 };

function regionStore(name: string): DurableObjectStub<RegionHotStore> {
  return bindings.HOT_STORE.get(bindings.HOT_STORE.idFromName(name));
}

/** An item entry as if published long ago: updated and observed at the epoch. */
function itemEntry(id: string, value: Record<string, unknown>, version = 1): HotWireEntry {
  return { kind: "item", id, value, version, updatedAt: 1, observedAt: 1 };
}

/** Pretends the region store received entry `id` at `storedAt` (how its age is measured). */
async function backdate(
  store: DurableObjectStub<RegionHotStore>,
  storedAt: number,
  id: string,
): Promise<void> {
  await runInDurableObject(store, (_, state) => {
    state.storage.sql.exec("UPDATE entries SET stored_at = ? WHERE id = ?", storedAt, id);
  });
}

describe("memory tier (isolate LRU)", () => {
  it("evicts the least recently used entries once the byte budget is exceeded", () => {
    const tier = new MemoryTier<string>({ maxEntries: 100, maxBytes: 1_000 });
    tier.set("a", "A", 400, 0);
    tier.set("b", "B", 400, 0);
    expect(tier.get("a")?.value).toBe("A"); // a is now the most recently used
    tier.set("c", "C", 400, 0); // 1,200 > 1,000: the eldest (b) goes
    expect(tier.get("b")).toBeUndefined();
    expect(tier.get("a")?.value).toBe("A");
    expect(tier.get("c")?.value).toBe("C");
    expect(tier.bytes).toBe(800);
  });

  it("bounds the entry count too, and never keeps an entry larger than the whole budget", () => {
    const tier = new MemoryTier<number>({ maxEntries: 2, maxBytes: 1_000 });
    tier.set("x", 1, 10, 0);
    tier.set("y", 2, 10, 0);
    tier.set("z", 3, 10, 0);
    expect(tier.size).toBe(2);
    expect(tier.get("x")).toBeUndefined();
    tier.set("huge", 4, 5_000, 0);
    expect(tier.get("huge")).toBeUndefined();
    expect(tier.size).toBe(2);
  });
});

describe("hot layer tiers (real region Durable Object, real origin)", () => {
  it("serves item features pulled from the origin, then from memory without touching the store", async () => {
    let now = 1_000_000;
    const layer = createHotLayer(bindings, { config: PATIENT, now: () => now });
    const first = await layer.getMany("item", ["i00010", "i00011"]);
    expect(layer.stats.storeReads).toBe(1);
    const item = first.get("i00010");
    expect(item?.value).toMatchObject({
      category: expect.any(String),
      brand: expect.any(String),
      price: expect.any(Number),
      inStock: expect.any(Boolean),
    });
    expect(item?.version).toBeGreaterThan(0);
    expect(first.get("i00011")).toBeDefined();

    const again = await layer.getMany("item", ["i00010", "i00011"]);
    expect(layer.stats.storeReads).toBe(1);
    expect(layer.stats.memoryHits).toBe(2);
    expect(again.get("i00010")).toEqual(item);

    // Past the memory tier's staleness the isolate re-asks its region store.
    now += 60_000;
    await layer.get("item", "i00010");
    expect(layer.stats.storeReads).toBe(2);
  });

  it("evicts by size: with room for a few entries, the first one read is gone after more", async () => {
    const layer = createHotLayer(bindings, {
      config: { ...PATIENT, memoryMaxBytes: 2_500, memoryMaxEntries: 1_000 },
    });
    const ids = Array.from({ length: 12 }, (_, i) => `i${String(100 + i).padStart(5, "0")}`);
    for (const id of ids) await layer.get("item", id);
    const reads = layer.stats.storeReads;
    await layer.get("item", ids.at(-1) as string); // the newest is still in memory
    expect(layer.stats.storeReads).toBe(reads);
    await layer.get("item", ids[0] as string); // the eldest was evicted for size
    expect(layer.stats.storeReads).toBe(reads + 1);
  });

  it("a store miss pulls from the origin once, however many readers ask, and keeps it", async () => {
    const store = regionStore("edge-test");
    const before = await store.stats();
    const reads = await Promise.all(
      [1, 2, 3].map(() => store.getMany("item", ["i00200"], { waitMs: 20_000 })),
    );
    for (const entries of reads) {
      expect(entries).toHaveLength(1);
      expect(JSON.parse(entries[0]?.valueJson ?? "null")).toMatchObject({
        category: expect.any(String),
      });
    }
    const after = await store.stats();
    expect(after.entryPulls - before.entryPulls).toBe(1);

    const stored = await runInDurableObject(store, (_, state) =>
      state.storage.sql
        .exec<{ n: number }>(
          "SELECT count(*) AS n FROM entries WHERE kind = 'item' AND id = 'i00200'",
        )
        .one(),
    );
    expect(stored.n).toBe(1);
    await store.getMany("item", ["i00200"], { waitMs: 20_000 });
    expect((await store.stats()).entryPulls).toBe(after.entryPulls);
  });

  it("peeks at a fresh entry without waiting, and holds an old copy past its freshness", async () => {
    let now = 2_000_000;
    const layer = createHotLayer(bindings, { config: PATIENT, now: () => now });
    expect(layer.peek("item", "i00020")).toBeUndefined();
    expect(layer.held("item", "i00020")).toBeUndefined();
    const read = await layer.get("item", "i00020");
    expect(read).toBeDefined();
    expect(layer.peek("item", "i00020")).toEqual(read);
    // Past the memory tier's staleness: not fresh (callers read through), but still held.
    now += 60_000;
    expect(layer.peek("item", "i00020")).toBeUndefined();
    expect(layer.held("item", "i00020")).toEqual(read);
    // A surface with no experiment: its model entry is held as "none" (null), not absent.
    await layer.get("model", "home");
    expect(layer.peek("model", "home")).toMatchObject({ value: null });
  });

  it("remembers ids the origin does not know (known-absent), without asking again", async () => {
    const layer = createHotLayer(bindings, { config: PATIENT });
    const store = regionStore("edge-test");
    expect(await layer.get("item", "no-such-item")).toBeUndefined();
    const pulls = (await store.stats()).entryPulls;
    const fresh = createHotLayer(bindings, { config: PATIENT });
    expect(await fresh.get("item", "no-such-item")).toBeUndefined();
    expect((await store.stats()).entryPulls).toBe(pulls);
  });

  it("serves rules, model, trending and co-visitation in the agreed shapes", async () => {
    const layer = createHotLayer(bindings, { config: PATIENT });
    const trending = await layer.get("trending", "edge-test");
    expect(trending?.value).toEqual({ items: expect.any(Array), scores: expect.any(Array) });
    const covisit = await layer.get("covisit", "i00001");
    expect(covisit?.value).toEqual({ items: expect.any(Array), scores: expect.any(Array) });
    // No experiment on the surface: the entry exists and says "no model".
    const model = await layer.get("model", "home");
    expect(model).toMatchObject({ value: null });
    // No rules set for this surface in this origin (hot-pool-overlay.test.ts owns search's): absent.
    expect(await layer.get("rules", "home")).toBeUndefined();
  });

  it("origin down: serves what the region store holds, stale, and never throws", async () => {
    const store = regionStore("down-test");
    await store.putMany([
      itemEntry("i00001", { category: "held", brand: "b", price: 1, inStock: true }, 7),
    ]);
    await runInDurableObject(store, (instance, state) => {
      // This store's origin is a closed port, and everything it holds is past the bound.
      (instance as unknown as { env: EdgeBindings }).env = {
        ...bindings,
        ORIGIN_URL: "http://127.0.0.1:1",
      };
      state.storage.sql.exec("UPDATE entries SET stored_at = 0");
    });
    const entries = await store.getMany("item", ["i00001", "i00002"], { waitMs: 20_000 });
    expect(entries.map((e) => e.id)).toEqual(["i00001"]);
    expect(JSON.parse(entries[0]?.valueJson ?? "null")).toMatchObject({ category: "held" });
    const stats = await store.stats();
    expect(stats.pullFailures).toBeGreaterThanOrEqual(1);
  });

  it("prunes entries no read or publish confirmed for a day, keeping the rest", async () => {
    const store = regionStore("prune-test");
    await store.putMany([itemEntry("old", { price: 1 }), itemEntry("recent", { price: 1 })]);
    await backdate(store, 0, "old");
    expect(await runDurableObjectAlarm(store)).toBe(true);
    const ids = await runInDurableObject(store, (_, state) =>
      state.storage.sql
        .exec<{ id: string }>("SELECT id FROM entries ORDER BY id")
        .toArray()
        .map((row) => row.id),
    );
    expect(ids).toEqual(["recent"]);
  });

  it("re-pulls an entry past the bound before serving it, so a lost publish cannot keep it stale", async () => {
    const store = regionStore("edge-test");
    // A value the origin never had, as if published long ago and every later publish was lost.
    await store.putMany([
      itemEntry("i00050", { category: "stale", brand: "b", price: -1, inStock: true }),
    ]);
    const [held] = await store.getMany("item", ["i00050"], { waitMs: 20_000 });
    expect(JSON.parse(held?.valueJson ?? "null")).toMatchObject({ category: "stale" });
    // Past HOT_FRESHNESS_MS - HOT_MEMORY_STALE_MS (4 s): the next read asks the origin first.
    await backdate(store, Date.now() - 4_500, "i00050");
    const [fresh] = await store.getMany("item", ["i00050"], { waitMs: 20_000 });
    expect(JSON.parse(fresh?.valueJson ?? "null")).toMatchObject({ price: expect.any(Number) });
    expect(JSON.parse(fresh?.valueJson ?? "null").category).not.toBe("stale");
  });

  it("serves an entry past half the bound at once and refreshes it in the background", async () => {
    const store = regionStore("edge-test");
    await store.putMany([
      itemEntry("i00051", { category: "aging", brand: "b", price: -1, inStock: true }),
    ]);
    await backdate(store, Date.now() - 3_000, "i00051");
    const [served] = await store.getMany("item", ["i00051"], { waitMs: 20_000 });
    expect(JSON.parse(served?.valueJson ?? "null")).toMatchObject({ category: "aging" });
    // The refresh the read started lands without anyone waiting for it.
    let category = "aging";
    for (let i = 0; i < 200 && category === "aging"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const [now] = await store.getMany("item", ["i00051"], { waitMs: 0 });
      category = JSON.parse(now?.valueJson ?? "null")?.category;
    }
    expect(category).not.toBe("aging");
  });
});
