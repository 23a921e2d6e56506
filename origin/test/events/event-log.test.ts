import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AcceptedEvent } from "#shared/api/events";
import {
  createEventLog,
  DONE_DELIVERY_SET,
  EVENT_LOG_BINS,
  EVENT_LOG_SET,
  type EventLog,
} from "../../src/events/event-log.js";
import type { StorePort } from "../../src/store/port.js";
import { runTag, viewEvent } from "./support/events.js";
import { describeEachStore, openVariantStore } from "./support/store-variants.js";

const DEDUPE_WINDOW_SECONDS = 3600;

describeEachStore("event log (applied marks per delivery)", (variant) => {
  const dir = mkdtempSync(`${tmpdir()}/reco-event-log-`);
  const tag = runTag();
  const region = `l-${tag.slice(0, 6)}`;
  let store: StorePort;
  let ns: string;
  let log: EventLog;

  beforeAll(async () => {
    ({ store, ns } = await openVariantStore(variant, dir));
    log = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS, region);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const event = (): AcceptedEvent => ({ ...viewEvent({ region }), region });
  const delivery = (name: string) => `d-${tag}-${name}`;
  const logRecord = (id: string) => store.get({ ns, set: EVENT_LOG_SET, key: id });

  it("makes every event of a done delivery a duplicate without rewriting its record", async () => {
    const [a, b] = [event(), event()];
    expect(await log.claim([a, b], Date.now(), delivery("1"))).toEqual(["new", "new"]);
    expect(await log.statuses([a.id, b.id])).toEqual(["pending", "pending"]);
    await log.markApplied([delivery("1")]);
    expect(await log.statuses([a.id, b.id])).toEqual(["applied", "applied"]);
    // One done record for the delivery: the events' own records are as the claim wrote them.
    expect((await logRecord(a.id))?.gen).toBe(1);
    expect(await log.claim([a, b], Date.now(), delivery("2"))).toEqual(["applied", "applied"]);
    expect(await log.pendingDeliveries()).not.toContainEqual(
      expect.objectContaining({ id: delivery("1") }),
    );
  });

  it("points a leftover at the delivery that takes it again, so only that one's mark applies it", async () => {
    const [a, b, c] = [event(), event(), event()];
    await log.claim([a, b], Date.now(), delivery("3"));
    // The first delivery failed (never marked): a redelivery of b takes it.
    expect(await log.claim([b, c], Date.now(), delivery("4"))).toEqual(["pending", "new"]);
    expect((await logRecord(b.id))?.bins[EVENT_LOG_BINS.delivery]).toBe(delivery("4"));
    await log.markApplied([delivery("4")]);
    expect(await log.statuses([a.id, b.id, c.id])).toEqual(["pending", "applied", "applied"]);
    // Recovery applies what is left of the first delivery: a, not b.
    const left = (await log.pendingEvents()).find((d) => d.id === delivery("3"));
    expect(left?.events.map((e) => e.id)).toEqual([a.id]);
    await log.markApplied([delivery("3")]);
  });

  it("recovers each pending event once, under the delivery its record names", async () => {
    const [a, b, c] = [event(), event(), event()];
    const at = Date.now();
    await log.claim([a, b], at, delivery("5"));
    await log.claim([b, c], at + 1, delivery("6"));
    const pending = (await log.pendingEvents()).filter((d) =>
      [delivery("5"), delivery("6")].includes(d.id),
    );
    expect(pending.map((d) => [d.id, d.events.map((e) => e.id)])).toEqual([
      [delivery("5"), [a.id]],
      [delivery("6"), [b.id, c.id]],
    ]);
    await log.markApplied([delivery("5"), delivery("6")]);
    expect(await log.statuses([a.id, b.id, c.id])).toEqual(["applied", "applied", "applied"]);
    expect(
      (await log.pendingEvents()).filter((d) => [delivery("5"), delivery("6")].includes(d.id)),
    ).toEqual([]);
  });

  it("leaves a delivery alone whose done mark landed before a crash emptied its pending record", async () => {
    const [a] = [event()];
    await log.claim([a], Date.now(), delivery("7"));
    // The first half of markApplied only: the done record.
    await store.put({ ns, set: DONE_DELIVERY_SET, key: delivery("7") }, { x: 1 });
    expect(await log.status(a.id)).toBe("applied");
    expect(await log.pendingDeliveries()).not.toContainEqual(
      expect.objectContaining({ id: delivery("7") }),
    );
  });

  it("reads records written before per-delivery marks: applied stays applied, pending is taken", async () => {
    const [old, left] = [event(), event()];
    const at = Date.now();
    const put = (id: string, status: string) =>
      store.put(
        { ns, set: EVENT_LOG_SET, key: id },
        { [EVENT_LOG_BINS.status]: status, [EVENT_LOG_BINS.receivedAt]: at },
        { ttl: DEDUPE_WINDOW_SECONDS },
      );
    await put(old.id, "applied");
    await put(left.id, "pending");
    expect(await log.claim([old, left], at, delivery("8"))).toEqual(["applied", "pending"]);
    await log.markApplied([delivery("8")]);
    expect(await log.statuses([old.id, left.id])).toEqual(["applied", "applied"]);
  });
});
