import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type AcceptedEvent, EventsAccepted } from "#shared/api/events";
import type { EdgeBindings } from "../src/env.js";
import worker from "../src/index.js";
import { servedFeatures } from "./support/served-features.js";

const REGION = "edge-test";
/** The acceptance bar: an acknowledged event is in the features within 1 s. */
const VISIBLE_WITHIN_MS = 1_000;
/** How often the end-to-end test looks; short, so the measured delay is close to the real one. */
const POLL_INTERVAL_MS = 20;

function acceptedEvent(overrides: Partial<AcceptedEvent> = {}): AcceptedEvent {
  return {
    id: crypto.randomUUID(),
    type: "view",
    sessionId: `s-${crypto.randomUUID().slice(0, 8)}`,
    itemIds: [`it-${crypto.randomUUID().slice(0, 8)}`],
    ts: Date.now(),
    region: REGION,
    ...overrides,
  };
}

/** Runs the worker's queue handler on a batch, as the queue would, and reports ack/retry. */
async function consume(events: AcceptedEvent[], bindings: Partial<EdgeBindings> = {}) {
  const batch = createMessageBatch<AcceptedEvent>(
    "reco-events",
    events.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...bindings } as EdgeBindings);
  return getQueueResult(batch, ctx);
}

/** `views_1h` of items in this region, read through the origin's real serving API. */
async function viewsServed(items: string[]): Promise<number[]> {
  const served = await servedFeatures([
    { entity: "item_region", keys: items.map((i) => `${i}|${REGION}`), features: ["views_1h"] },
  ]);
  return (served.results[0]?.rows ?? []).map((row) => Number(row.values[0] ?? 0));
}

/**
 * The origin acknowledges once the events are durably logged and writes the
 * features behind the answer: polls until `expected` is served, at most
 * `VISIBLE_WITHIN_MS`, and returns what was served last.
 */
async function viewsServedWithin(items: string[], expected: number[]): Promise<number[]> {
  const started = Date.now();
  let served = await viewsServed(items);
  while (JSON.stringify(served) !== JSON.stringify(expected)) {
    if (Date.now() - started > VISIBLE_WITHIN_MS) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    served = await viewsServed(items);
  }
  return served;
}

describe("queue consumer -> origin POST /internal/events (real origin process)", () => {
  it("acknowledges the whole batch once the origin has logged it; applied within 1 s", async () => {
    const events = [acceptedEvent(), acceptedEvent()];
    const result = await consume(events);
    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);
    const items = events.map((e) => e.itemIds[0] as string);
    expect(await viewsServedWithin(items, [1, 1])).toEqual([1, 1]);
  });

  it("acknowledges a redelivered batch without counting it again", async () => {
    const events = [acceptedEvent()];
    const items = [events[0]?.itemIds[0] as string];
    expect((await consume(events)).ackAll).toBe(true);
    expect(await viewsServedWithin(items, [1])).toEqual([1]);
    expect((await consume(events)).ackAll).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await viewsServed(items)).toEqual([1]);
  });

  it("acknowledges events the origin rejects: retrying cannot fix them", async () => {
    const tooOld = acceptedEvent({ ts: Date.now() - 30 * 24 * 3600_000 });
    const result = await consume([tooOld, acceptedEvent()]);
    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);
  });

  it("retries the whole batch with a delay when the origin is down", async () => {
    const result = await consume([acceptedEvent()], { ORIGIN_URL: "http://127.0.0.1:9" });
    expect(result.ackAll).toBe(false);
    // The pool reports that the batch is retried, not the delay asked for (retryDelaySeconds).
    expect(result.retryBatch.retry).toBe(true);
  });

  it("retries when the origin refuses the signature (a misconfiguration, never a loss)", async () => {
    const result = await consume([acceptedEvent()], {
      ORIGIN_SIGNING_SECRET: "a-different-secret-entirely",
    });
    expect(result.ackAll).toBe(false);
    expect(result.retryBatch.retry).toBe(true);
  });
});

describe("end to end: POST /v1/events -> queue -> origin -> real-time features", () => {
  it(`makes an acknowledged event visible in the item's features within ${VISIBLE_WITHIN_MS} ms`, async () => {
    const item = `it-${crypto.randomUUID().slice(0, 8)}`;
    const event = { ...acceptedEvent({ itemIds: [item] }), region: undefined };
    const response = await exports.default.fetch("http://edge.test/v1/events", {
      method: "POST",
      body: JSON.stringify({ events: [event] }),
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
    expect(response.status).toBe(202);
    expect(EventsAccepted.parse(await response.json()).accepted).toBe(1);
    const acknowledgedAt = Date.now();
    // Poll (no fixed sleep) well past the bar, so a miss reports the real delay.
    let views = 0;
    while (views === 0 && Date.now() - acknowledgedAt < 5 * VISIBLE_WITHIN_MS) {
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      [views = 0] = await viewsServed([item]);
    }
    const delayMs = Date.now() - acknowledgedAt;
    expect(views).toBe(1);
    expect(delayMs).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
  });
});
