import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AcceptedEvent, EventType } from "#shared/api/events";
import { featureSet } from "../../src/features/layout.js";
import type { StorePort } from "../../src/store/port.js";
import { createStreamProcessor } from "../../src/stream/stream-processor.js";
import { forwardingStore } from "../support/forwarding-store.js";
import { openLmdbTestStore, type TestStore } from "../support/open-test-store.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const REGION = "eu";
/** The stores' own clock (TTLs, expiry), fixed after the last event so both runs expire alike. */
const STORE_NOW = T0 + 201 * DAY;
const SETS = ["item_region", "region", "session", "user", "user_category"].map(featureSet);

/** The store as one without `mapTrimTop` (Aerospike): the processor reads back and trims after. */
function withoutTopTrim(store: StorePort): StorePort {
  return { ...forwardingStore(store), supportsTopTrim: false };
}

/**
 * Batches of seeded events over 200 days: a few hundred items seen together
 * in sessions, so co-visitation maps pass their trim bound again and again
 * and hold keys of two decay periods (224 days each; one starts 150 days
 * after T0), and the trending map
 * crosses many of its periods (32 hours).
 */
function batches(): { at: number; events: AcceptedEvent[] }[] {
  let state = 20261123;
  const next = (n: number) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
  const types: EventType[] = ["view", "view", "view", "click", "add_to_cart", "purchase"];
  const out: { at: number; events: AcceptedEvent[] }[] = [];
  let sequence = 0;
  for (let b = 0; b < 20; b++) {
    const events: AcceptedEvent[] = [];
    for (let i = 0; i < 300; i++) {
      sequence++;
      // Items skewed to a hot few, so some co-visitation maps fill far past the bound.
      const item = `i${next(2) === 0 ? next(20) : next(400)}`;
      events.push({
        id: `e${sequence}`,
        type: types[next(types.length)] as EventType,
        itemIds: [item],
        region: REGION,
        sessionId: `s${next(150) + 100 * Math.floor(b / 3)}`,
        userId: `u${next(80)}`,
        context: { category: `c${next(6)}` },
        ts: T0 + b * 10 * DAY + sequence * 1000,
      });
    }
    out.push({ at: T0 + b * 10 * DAY + (sequence + 1) * 1000, events });
  }
  return out;
}

/** Every record's bins (as JSON, key order included) and expiry per set, sorted; and the sum of generations. */
async function contents(store: StorePort, ns: string) {
  const sets: Record<string, string[]> = {};
  let generations = 0;
  for (const set of SETS) {
    const records = await store.scan(ns, set);
    sets[set] = records.map((record) => JSON.stringify([record.bins, record.expiresAt])).sort();
    for (const record of records) generations += record.gen;
  }
  return { sets, generations };
}

describe("decayed_top trims inside the write (LMDB) against the read-back trims", () => {
  let inStore: TestStore;
  let readBack: TestStore;
  beforeAll(async () => {
    inStore = openLmdbTestStore(() => STORE_NOW);
    readBack = openLmdbTestStore(() => STORE_NOW);
  });
  afterAll(async () => {
    await Promise.all([inStore?.close(), readBack?.close()]);
  });

  it("leaves exactly the same records, with fewer writes", async () => {
    for (const [target, store] of [
      [inStore, inStore.store],
      [readBack, withoutTopTrim(readBack.store)],
    ] as const) {
      const clock = { now: T0 };
      const processor = createStreamProcessor({
        store,
        ns: target.ns,
        region: REGION,
        now: () => clock.now,
      });
      for (const { at, events } of batches()) {
        clock.now = at;
        await processor.apply(events);
      }
    }
    const trimmed = await contents(inStore.store, inStore.ns);
    const readAndTrimmed = await contents(readBack.store, readBack.ns);
    expect(trimmed.sets).toEqual(readAndTrimmed.sets);
    // Trims happened (maps at their bound of 4 x 20), across two co-visitation periods.
    const coVisited = trimmed.sets[featureSet("item_region")]?.map(
      (record) => (JSON.parse(record) as [{ [bin: string]: object }])[0][`cv.${REGION}`] ?? {},
    );
    const sizes = coVisited?.map((map) => Object.keys(map).length) ?? [];
    expect(Math.max(...sizes)).toBeLessThanOrEqual(80);
    expect(sizes.filter((size) => size > 40).length).toBeGreaterThan(5);
    const periods = new Set(
      coVisited?.flatMap((map) => Object.keys(map).map((k) => k.split(":")[0])),
    );
    expect(periods.size).toBe(2);
    // The read-back path wrote each trim a second time.
    expect(trimmed.generations).toBeLessThan(readAndTrimmed.generations);
  });
});
