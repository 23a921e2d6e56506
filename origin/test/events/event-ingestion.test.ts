import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AcceptedEvent, ShopperEvent } from "#shared/api/events";
import {
  createEventIngestion,
  type EventIngestionOptions,
} from "../../src/events/event-ingestion.js";
import { createEventLog } from "../../src/events/event-log.js";
import { StoreError, type StorePort } from "../../src/store/port.js";
import { createStreamProcessor } from "../../src/stream/stream-processor.js";
import type { StreamProcessor } from "../../src/stream/stream-processor-port.js";
import { runTag, viewEvent } from "./support/events.js";
import { featureSnapshot, viewsCounted } from "./support/feature-reads.js";
import { describeEachStore, openVariantStore } from "./support/store-variants.js";
import { viewsProcessor } from "./support/views-processor.js";

const DEDUPE_WINDOW_SECONDS = 3600;

/** A processor that holds every `apply` until `open()` is called (the applier falling behind). */
function gatedProcessor(inner: StreamProcessor): StreamProcessor & { open(): void; calls: number } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const gated = {
    calls: 0,
    open,
    async apply(events: readonly AcceptedEvent[]) {
      gated.calls++;
      await gate;
      await inner.apply(events);
    },
  };
  return gated;
}

describeEachStore("event ingestion (write-behind applier)", (variant) => {
  const dir = mkdtempSync(`${tmpdir()}/reco-ingestion-`);
  const tag = runTag();
  const region = `f-${tag.slice(0, 6)}`;
  let store: StorePort;
  let ns: string;

  beforeAll(async () => {
    ({ store, ns } = await openVariantStore(variant, dir));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Ingestion into this store in this file's region, over a fresh event log unless given one. */
  const ingestionOf = (processor: StreamProcessor, options: Partial<EventIngestionOptions> = {}) =>
    createEventIngestion({
      log: options.log ?? createEventLog(store, ns, DEDUPE_WINDOW_SECONDS),
      processor,
      region,
      dedupeWindowSeconds: DEDUPE_WINDOW_SECONDS,
      ...options,
    });

  it("acknowledges once logged, retries a failing processor, and applies each event once", async () => {
    const log = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS);
    const ingestion = ingestionOf(viewsProcessor(store, ns, 2), { log });
    const item = `it-${tag}`;
    const events = [1, 2, 3].map(() => viewEvent({ itemIds: [item], region }));

    expect(await ingestion.ingest(events)).toEqual({ applied: 3, duplicates: 0, rejected: [] });
    // Logged and acknowledged; the applier retries the failed apply until it succeeds.
    expect(await ingestion.ingest(events)).toEqual({ applied: 0, duplicates: 3, rejected: [] });
    await ingestion.idle();
    expect(await log.status(events[2]?.id as string)).toBe("applied");
    expect(await viewsCounted(store, ns, item, region)).toBe(3);
    expect(await ingestion.ingest(events)).toEqual({ applied: 0, duplicates: 3, rejected: [] });
    await ingestion.stop();
    expect(await viewsCounted(store, ns, item, region)).toBe(3);
    expect(await log.pendingDeliveries()).toEqual([]);
  });

  it("counts ids delivered concurrently once", async () => {
    const ingestion = ingestionOf(viewsProcessor(store, ns));
    const item = `it-${tag}-c`;
    const events = [1, 2].map(() => viewEvent({ itemIds: [item], region }));
    const results = await Promise.all([ingestion.ingest(events), ingestion.ingest(events)]);
    expect(results.reduce((sum, r) => sum + r.applied, 0)).toBe(2);
    expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(2);
    await ingestion.stop();
    expect(await viewsCounted(store, ns, item, region)).toBe(2);
  });

  it("refuses a delivery whose ids another delivery failed to log, then takes them on redelivery", async () => {
    const real = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS);
    let failNext = true;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first claim waits (so the second delivery finds its ids held) and then fails.
    const log = {
      ...real,
      async claim(...args: Parameters<typeof real.claim>) {
        if (!failNext) return real.claim(...args);
        failNext = false;
        await held;
        throw new StoreError("unavailable", "event log write failed");
      },
    };
    const ingestion = ingestionOf(viewsProcessor(store, ns), { log });
    const item = `it-${tag}-f`;
    const events = [1, 2].map(() => viewEvent({ itemIds: [item], region }));
    const first = ingestion.ingest(events).catch((e: unknown) => e);
    const second = ingestion.ingest(events).catch((e: unknown) => e);
    release();
    for (const outcome of [await first, await second]) {
      expect(outcome).toBeInstanceOf(StoreError);
      expect((outcome as StoreError).code).toBe("unavailable");
    }
    // Nothing was logged, and the failed delivery let go of the ids: the redelivery takes them.
    expect(await ingestion.ingest(events)).toEqual({ applied: 2, duplicates: 0, rejected: [] });
    await ingestion.stop();
    expect(await viewsCounted(store, ns, item, region)).toBe(2);
  });

  it("applies back to back deliveries in one coalesced batch", async () => {
    const gated = gatedProcessor(viewsProcessor(store, ns));
    const ingestion = ingestionOf(gated, { applier: { lingerMs: 100 } });
    const item = `it-${tag}-k`;
    const deliveries = [1, 2, 3, 4, 5].map(() =>
      [1, 2].map(() => viewEvent({ itemIds: [item], region })),
    );
    await Promise.all(deliveries.map((events) => ingestion.ingest(events)));
    gated.open();
    await ingestion.stop();
    expect(gated.calls).toBe(1);
    expect(await viewsCounted(store, ns, item, region)).toBe(10);
  });

  it("logs the next flush while one applies, then makes deliveries wait and refuses them retryably", async () => {
    const gated = gatedProcessor(viewsProcessor(store, ns));
    const ingestion = ingestionOf(gated, {
      applier: { maxQueuedEvents: 5 },
      backpressureWaitMs: 100,
    });
    const item = `it-${tag}-p`;
    const batch = (n: number) =>
      Array.from({ length: n }, () => viewEvent({ itemIds: [item], region }));
    expect(await ingestion.ingest(batch(5))).toMatchObject({ applied: 5 });
    // The applier takes them into a flush (held by the gate): the next flush's queue is empty.
    while (gated.calls === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(await ingestion.ingest(batch(5))).toMatchObject({ applied: 5 });
    expect(ingestion.backlog).toBe(10);
    const refused = batch(3);
    const error = await ingestion.ingest(refused).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("unavailable");
    expect(ingestion.backlog).toBe(10);

    // A delivery waiting for room goes through once the applier catches up.
    const waiting = ingestion.ingest(refused);
    setTimeout(() => gated.open(), 20);
    expect(await waiting).toMatchObject({ applied: 3 });
    await ingestion.stop();
    expect(await viewsCounted(store, ns, item, region)).toBe(13);
  });

  it("starts the next flush once a flush's writes are in, and marks a flush only once it is durable", async () => {
    const log = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS);
    const inner = viewsProcessor(store, ns);
    let makeDurable!: () => void;
    const durable = new Promise<void>((resolve) => (makeDurable = resolve));
    const written: number[] = [];
    // Writes at once and says so; the first flush stays not durable until `makeDurable()`.
    const processor: StreamProcessor = {
      async apply(events, _serialized, onWritten) {
        await inner.apply(events);
        written.push(events.length);
        onWritten?.();
        if (written.length === 1) await durable;
      },
    };
    const ingestion = ingestionOf(processor, { log, applier: { lingerMs: 0 } });
    const item = `it-${tag}-w`;
    const first = [1, 2].map(() => viewEvent({ itemIds: [item], region }));
    const second = [1, 2, 3].map(() => viewEvent({ itemIds: [item], region }));
    await ingestion.ingest(first);
    while (written.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await ingestion.ingest(second);
    while (written.length === 1) await new Promise((resolve) => setTimeout(resolve, 1));
    // The second flush was applied while the first is still not durable: neither is marked yet
    // (marks stay in order), though both are written.
    expect(written).toEqual([2, 3]);
    expect(await viewsCounted(store, ns, item, region)).toBe(5);
    expect(await log.statuses([...first, ...second].map((e) => e.id))).toEqual(
      [...first, ...second].map(() => "pending"),
    );
    makeDurable();
    await ingestion.stop();
    expect(await log.statuses([...first, ...second].map((e) => e.id))).toEqual(
      [...first, ...second].map(() => "applied"),
    );
  });

  it("applies again a flush that fails after its writes were in, and loses nothing", async () => {
    const log = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS);
    const inner = viewsProcessor(store, ns);
    let calls = 0;
    // The first apply reports its writes in, then fails as a failed commit would: nothing stays.
    const processor: StreamProcessor = {
      async apply(events, _serialized, onWritten) {
        calls++;
        if (calls === 1) {
          onWritten?.();
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new StoreError("unavailable", "commit failed (test)");
        }
        await inner.apply(events);
        onWritten?.();
      },
    };
    const ingestion = ingestionOf(processor, { log });
    const item = `it-${tag}-x`;
    const events = [1, 2, 3].map(() => viewEvent({ itemIds: [item], region }));
    expect(await ingestion.ingest(events)).toMatchObject({ applied: 3 });
    await ingestion.stop();
    expect(calls).toBe(2);
    expect(await viewsCounted(store, ns, item, region)).toBe(3);
    expect(await log.statuses(events.map((e) => e.id))).toEqual(events.map(() => "applied"));
    expect(await log.pendingDeliveries()).toEqual([]);
  });

  it("applies everything accepted before stop() resolves", async () => {
    const slow: StreamProcessor = {
      async apply(events) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        await viewsProcessor(store, ns).apply(events);
      },
    };
    const log = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS);
    const ingestion = ingestionOf(slow, { log, applier: { maxBatchEvents: 3 } });
    const item = `it-${tag}-s`;
    const events = Array.from({ length: 12 }, () => viewEvent({ itemIds: [item], region }));
    for (let i = 0; i < 12; i += 3) await ingestion.ingest(events.slice(i, i + 3));
    await ingestion.stop();
    expect(await viewsCounted(store, ns, item, region)).toBe(12);
    expect(await log.statuses(events.map((e) => e.id))).toEqual(events.map(() => "applied"));
  });

  it("recovers logged deliveries that were never applied, once, without redelivery", async () => {
    const log = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS, region);
    const item = `it-${tag}-r`;
    const make = () => ({ ...viewEvent({ itemIds: [item], region }), region });
    const [a, b, c] = [make(), make(), make()];
    // What a crash after the acknowledgement leaves: two logged deliveries sharing an id.
    await log.claim([a, b], Date.now(), `d-${tag}-1`);
    await log.claim([b, c], Date.now(), `d-${tag}-2`);
    const ingestion = ingestionOf(viewsProcessor(store, ns), { log });
    const recovered = await ingestion.recover();
    expect(recovered).toEqual({ deliveries: 2, events: 3 });
    // Another region's origin sharing the store leaves them alone.
    expect(
      await createEventLog(store, ns, DEDUPE_WINDOW_SECONDS, "other").pendingDeliveries(),
    ).not.toContainEqual(expect.objectContaining({ id: `d-${tag}-1` }));
    expect(await ingestion.ingest([a, b, c])).toEqual({ applied: 0, duplicates: 3, rejected: [] });
    await ingestion.stop();
    expect(await viewsCounted(store, ns, item, region)).toBe(3);
    expect(await log.pendingDeliveries()).toEqual([]);
  });

  it("coalescing gives the same features as applying the deliveries one by one", async () => {
    const now = Date.now();
    const clock = () => now;
    const regionOf = (w: string) => `c${w}-${tag.slice(0, 6)}`;
    const types = ["view", "click", "add_to_cart", "purchase", "view", "remove_from_cart"] as const;
    const deliveriesOf = (w: string): AcceptedEvent[][] =>
      Array.from({ length: 6 }, (_, d) =>
        Array.from({ length: 5 }, (_, i): AcceptedEvent => {
          const n = d * 5 + i;
          const event: ShopperEvent = viewEvent({
            type: types[n % types.length],
            userId: `u-${w}${tag}-${n % 3}`,
            sessionId: `s-${w}${tag}-${n % 4}`,
            itemIds: [`i-${w}${tag}-${n % 7}`],
            context: { category: `cat-${n % 3}` },
            ts: now - 60_000 + n * 100,
            region: regionOf(w),
          });
          return { ...event, region: regionOf(w) };
        }),
      );
    const touched = (w: string) => ({
      users: [0, 1, 2].map((n) => `u-${w}${tag}-${n}`),
      sessions: [0, 1, 2, 3].map((n) => `s-${w}${tag}-${n}`),
      items: [0, 1, 2, 3, 4, 5, 6].map((n) => `i-${w}${tag}-${n}`),
      region: regionOf(w),
    });
    const processorOf = (w: string) =>
      createStreamProcessor({ store, ns, region: regionOf(w), now: clock });

    // World a: each delivery applied on its own, in order.
    const one = processorOf("a");
    for (const events of deliveriesOf("a")) await one.apply(events);
    // World b: the same deliveries through the ingestion service, coalesced into one batch.
    const applied: number[] = [];
    const two = processorOf("b");
    const counting: StreamProcessor = {
      apply: (events) => {
        applied.push(events.length);
        return two.apply(events);
      },
    };
    const ingestion = ingestionOf(counting, {
      region: regionOf("b"),
      applier: { lingerMs: 200 },
      now: clock,
    });
    for (const events of deliveriesOf("b")) await ingestion.ingest(events);
    await ingestion.stop();
    expect(applied).toEqual([30]);

    const normalise = (w: string, bins: unknown) =>
      JSON.parse(
        JSON.stringify(bins).replaceAll(regionOf(w), "REGION").replaceAll(`${w}${tag}`, "ENTITY"),
        (_, value) => (typeof value === "number" ? Number(value.toPrecision(10)) : value),
      );
    const a = normalise("a", await featureSnapshot(store, ns, touched("a")));
    const b = normalise("b", await featureSnapshot(store, ns, touched("b")));
    expect(a.some((bins: unknown) => bins !== null)).toBe(true);
    expect(b).toEqual(a);
  });
});
