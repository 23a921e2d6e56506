import type { AcceptedEvent } from "#shared/api/events";
import {
  type OperateRequest,
  type Operation,
  type RecordKey,
  StoreError,
  type StorePort,
  type StoreRecord,
} from "../store/port.js";

/** Store set of the event log: one small dedupe record per event id. */
export const EVENT_LOG_SET = "evlog";
/**
 * Store set of applied deliveries: one tiny record per delivery whose events
 * are all applied, kept for the dedupe window. An event is applied once the
 * delivery its log record names is here, so marking a flush applied writes
 * one record per delivery instead of rewriting every event's record.
 */
export const DONE_DELIVERY_SET = "evdone";
/**
 * Store set of logged deliveries whose events are not all applied yet: one
 * record per delivery, holding its events once (the write-behind applier's
 * durable queue, scanned at start-up).
 */
export const PENDING_DELIVERY_SET = "evpend";

/** What the log knew about an event id when it was claimed. */
export type ClaimOutcome =
  /** First time this id is seen: the log now holds it as pending. */
  | "new"
  /** Logged earlier but never marked applied: queued here, or left by a crash or failed delivery. */
  | "pending"
  /** Logged and applied earlier: a duplicate. */
  | "applied";

/** Bins of an event-log record (short: Aerospike bin names are at most 15 bytes). */
export const EVENT_LOG_BINS = {
  /**
   * The delivery the event is pending under: the event is applied once that
   * delivery is in `DONE_DELIVERY_SET`.
   */
  delivery: "d",
  /**
   * `applied` or `pending`: records logged without a delivery, and records
   * written before deliveries were marked (`applied` was set per event).
   */
  status: "s",
  /** Epoch ms the origin first received it. */
  receivedAt: "at",
} as const;

/** Bin of a done-delivery record (a record needs one bin). */
const DONE_BIN = "x";

/** Bins of a pending-delivery record. */
export const PENDING_DELIVERY_BINS = {
  /** The delivery id (also the record key: a scan does not return keys). */
  delivery: "d",
  /** The delivery's events as received (JSON array). */
  events: "ev",
  /** Epoch ms the origin received it. */
  receivedAt: "at",
  /** Region of the origin that logged it: only that region's origin recovers it. */
  region: "r",
  /** Set once every event of the delivery is applied; the record then expires soon. */
  done: "x",
} as const;

/** An event's state in the log, with what recovery needs to re-attribute it. */
interface EventState {
  status: "pending" | "applied" | null;
  /** The delivery the record names, if any. */
  delivery: string | undefined;
  gen: number;
}

/** How long a done pending-delivery record lingers before it expires (seconds). */
const DONE_DELIVERY_TTL_SECONDS = 60;

/** A logged delivery whose events may not all be applied. */
export interface PendingDelivery {
  id: string;
  receivedAt: number;
  events: AcceptedEvent[];
}

export interface EventLog {
  /**
   * Durably records each event id (create-only) or reports what an earlier
   * delivery left; results in input order. With `deliveryId`, the same call
   * also stores the events as a pending delivery (one `operateMany`: on LMDB
   * one transaction), which start-up recovery finds if the process dies
   * before they are applied. `eventsJson` is `JSON.stringify(events)` if
   * the caller has it already (the pending record stores that text).
   */
  claim(
    events: readonly AcceptedEvent[],
    receivedAt: number,
    deliveryId?: string,
    eventsJson?: string,
  ): Promise<ClaimOutcome[]>;
  /**
   * Marks the deliveries done, which makes every event logged under them
   * applied; resolves once durable. One small write per delivery (then the
   * pending-delivery records are emptied and expire soon).
   */
  markApplied(deliveryIds: readonly string[]): Promise<void>;
  /** The status an id has in the log, or `null` if it was never seen (or has expired). */
  status(id: string): Promise<"pending" | "applied" | null>;
  /** Statuses of many ids, one batched read, in input order. */
  statuses(ids: readonly string[]): Promise<("pending" | "applied" | null)[]>;
  /** This region's logged deliveries not yet marked done (a scan of a small set). */
  pendingDeliveries(): Promise<PendingDelivery[]>;
  /**
   * What start-up recovery applies: this region's deliveries not yet done,
   * each with those of its events still pending, every event in exactly one
   * of them. An event goes with the delivery its log record names if that is
   * among them, else with the oldest one holding it, and its record is
   * pointed there (so marking that delivery done makes it applied).
   * Deliveries left with no events are listed too: marking them done
   * retires them.
   */
  pendingEvents(): Promise<PendingDelivery[]>;
}

function isConflict(result: unknown): boolean {
  return result instanceof StoreError && result.code === "generation_conflict";
}

/**
 * The event log on the store port: a create-only write (`expectGen: 0`) per
 * event id is the idempotency check, so it works the same on LMDB and on
 * Aerospike (where the server refuses the second create atomically; batch
 * writes carry `exists: CREATE`). The dedupe record is small (the delivery
 * it is pending under and the receipt time); the event bodies are stored
 * once per delivery in the pending set until applied, and applying marks
 * the delivery done (one record), not each event. Records expire after the
 * dedupe window.
 */
export function createEventLog(
  store: StorePort,
  ns: string,
  ttlSeconds: number,
  /** The origin's region: pending deliveries are recovered only by their own region's origin. */
  region = "",
): EventLog {
  const key = (id: string): RecordKey => ({ ns, set: EVENT_LOG_SET, key: id });
  const deliveryKey = (id: string): RecordKey => ({ ns, set: PENDING_DELIVERY_SET, key: id });
  const doneKey = (id: string): RecordKey => ({ ns, set: DONE_DELIVERY_SET, key: id });
  const stateBins = [EVENT_LOG_BINS.delivery, EVENT_LOG_BINS.status];

  /** The deliveries among `ids` that are done (one batched read). */
  async function doneAmong(ids: Iterable<string>): Promise<Set<string>> {
    const list = [...new Set(ids)];
    const done = new Set<string>();
    if (list.length === 0) return done;
    const records = await store.batchGet(list.map(doneKey), [DONE_BIN]);
    records.forEach((record, i) => {
      if (record) done.add(list[i] as string);
    });
    return done;
  }

  /** States of event-log records: one batched read of the deliveries they name. */
  async function statesOf(records: readonly (StoreRecord | null)[]): Promise<EventState[]> {
    const named: string[] = [];
    for (const record of records) {
      const delivery = record?.bins[EVENT_LOG_BINS.delivery];
      if (typeof delivery === "string") named.push(delivery);
    }
    const done = await doneAmong(named);
    return records.map((record) => {
      if (!record) return { status: null, delivery: undefined, gen: 0 };
      const { bins, gen } = record;
      const named = bins[EVENT_LOG_BINS.delivery];
      const delivery = typeof named === "string" ? named : undefined;
      const applied =
        bins[EVENT_LOG_BINS.status] === "applied" || (delivery !== undefined && done.has(delivery));
      return { status: applied ? "applied" : "pending", delivery, gen };
    });
  }

  async function statuses(ids: readonly string[]): Promise<("pending" | "applied" | null)[]> {
    if (ids.length === 0) return [];
    const records = await store.batchGet(ids.map(key), stateBins);
    return (await statesOf(records)).map((state) => state.status);
  }

  async function status(id: string): Promise<"pending" | "applied" | null> {
    return (await statuses([id]))[0] ?? null;
  }

  /** Points event records at `delivery` (they are pending and taken by it). */
  async function pointAt(
    targets: readonly { id: string; delivery: string; gen?: number }[],
  ): Promise<(true | StoreError)[]> {
    if (targets.length === 0) return [];
    const results = await store.operateMany(
      targets.map(({ id, delivery, gen }) => ({
        key: key(id),
        operations: [
          { op: "put", bin: EVENT_LOG_BINS.delivery, value: delivery },
          { op: "put", bin: EVENT_LOG_BINS.status, value: null },
        ],
        options: gen === undefined ? {} : { expectGen: gen },
      })),
    );
    return results.map((result) => (result instanceof StoreError ? result : true));
  }

  async function create(
    events: readonly AcceptedEvent[],
    receivedAt: number,
    deliveryId: string | undefined,
    /** The pending-delivery record's events text (first round only), `null` for none. */
    deliveryEvents: string | null,
  ): Promise<(true | StoreError)[]> {
    // Every record of the round gets the same bins and options: one copy shared by all requests
    // (the store never changes them), not five objects per event.
    const operations: Operation[] = [
      deliveryId === undefined
        ? { op: "put", bin: EVENT_LOG_BINS.status, value: "pending" }
        : { op: "put", bin: EVENT_LOG_BINS.delivery, value: deliveryId },
      { op: "put", bin: EVENT_LOG_BINS.receivedAt, value: receivedAt },
    ];
    const createOnly = { expectGen: 0, ttl: ttlSeconds };
    const requests: OperateRequest[] = events.map((event) => ({
      key: key(event.id),
      operations,
      options: createOnly,
    }));
    if (deliveryId !== undefined && deliveryEvents !== null) {
      requests.push({
        key: deliveryKey(deliveryId),
        operations: [
          { op: "put", bin: PENDING_DELIVERY_BINS.delivery, value: deliveryId },
          { op: "put", bin: PENDING_DELIVERY_BINS.events, value: deliveryEvents },
          { op: "put", bin: PENDING_DELIVERY_BINS.receivedAt, value: receivedAt },
          { op: "put", bin: PENDING_DELIVERY_BINS.region, value: region },
        ],
        options: { ttl: ttlSeconds },
      });
    }
    const results = await store.operateMany(requests);
    if (deliveryId !== undefined && deliveryEvents !== null) {
      const delivery = results.pop();
      // Without its pending record an acknowledged delivery could be lost in a crash.
      if (delivery instanceof StoreError) throw delivery;
    }
    return results.map((result) => (result instanceof StoreError ? result : true));
  }

  async function claim(
    events: readonly AcceptedEvent[],
    receivedAt: number,
    deliveryId?: string,
    eventsJson?: string,
  ): Promise<ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = new Array(events.length).fill("new");
    /** Pending leftovers this delivery takes: their records must name it. */
    const taken: { id: string; delivery: string; gen: number }[] = [];
    let todo = events.map((_, i) => i);
    // Two rounds: an earlier record can expire between the refused create and the read.
    for (let round = 0; round < 2 && todo.length > 0; round++) {
      const created = await create(
        todo.map((i) => events[i] as AcceptedEvent),
        receivedAt,
        deliveryId,
        // Serialised only for the pending record, which only a delivery's first round writes.
        round === 0 && deliveryId !== undefined ? (eventsJson ?? JSON.stringify(events)) : null,
      );
      const seen: number[] = [];
      created.forEach((result, j) => {
        if (result === true) return;
        if (!isConflict(result)) throw result;
        seen.push(todo[j] as number);
      });
      todo = [];
      if (seen.length === 0) break;
      const records = await store.batchGet(
        seen.map((i) => key((events[i] as AcceptedEvent).id)),
        stateBins,
      );
      const states = await statesOf(records);
      states.forEach((state, j) => {
        const i = seen[j] as number;
        if (state.status === null) {
          todo.push(i);
          return;
        }
        outcomes[i] = state.status;
        if (state.status === "pending" && deliveryId !== undefined) {
          taken.push({ id: (events[i] as AcceptedEvent).id, delivery: deliveryId, gen: state.gen });
        }
      });
    }
    if (todo.length > 0) {
      throw new StoreError("unavailable", "event log records keep changing; redeliver the batch");
    }
    // A leftover taken again is applied under this delivery: its record must say so, or it
    // would stay pending under the old one (and be applied again by a later delivery).
    if ((await pointAt(taken)).some((result) => result !== true)) {
      throw new StoreError("unavailable", "event log records changed while claimed; redeliver");
    }
    return outcomes;
  }

  async function markApplied(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    const done: OperateRequest[] = deliveryIds.map((id) => ({
      key: doneKey(id),
      operations: [{ op: "put", bin: DONE_BIN, value: 1 }],
      options: { ttl: ttlSeconds },
    }));
    const emptied: OperateRequest[] = deliveryIds.map((id) => ({
      key: deliveryKey(id),
      operations: [
        { op: "put", bin: PENDING_DELIVERY_BINS.done, value: 1 },
        { op: "put", bin: PENDING_DELIVERY_BINS.events, value: null },
      ],
      options: { ttl: DONE_DELIVERY_TTL_SECONDS },
    }));
    // The done records are what makes the events applied; the pending records may be emptied
    // only once they are durable. On LMDB one `operateMany` is one transaction (both or
    // neither, one commit); Aerospike's batch writes are independent, so two calls in order.
    const steps = store.kind === "lmdb" ? [[...done, ...emptied]] : [done, emptied];
    for (const step of steps) {
      const failed = (await store.operateMany(step)).find((result) => result instanceof StoreError);
      if (failed) throw failed;
    }
  }

  async function pendingDeliveries(): Promise<PendingDelivery[]> {
    const records = await store.scan(ns, PENDING_DELIVERY_SET);
    const out: PendingDelivery[] = [];
    for (const { bins } of records) {
      if (bins[PENDING_DELIVERY_BINS.done] !== undefined) continue;
      if (bins[PENDING_DELIVERY_BINS.region] !== region) continue;
      const id = bins[PENDING_DELIVERY_BINS.delivery];
      const events = bins[PENDING_DELIVERY_BINS.events];
      if (typeof id !== "string" || typeof events !== "string") continue;
      out.push({
        id,
        receivedAt: Number(bins[PENDING_DELIVERY_BINS.receivedAt] ?? 0),
        events: JSON.parse(events) as AcceptedEvent[],
      });
    }
    // A crash between a done record and emptying its pending record leaves the latter behind.
    const done = await doneAmong(out.map((delivery) => delivery.id));
    return out
      .filter((delivery) => !done.has(delivery.id))
      .sort((a, b) => a.receivedAt - b.receivedAt);
  }

  async function pendingEvents(): Promise<PendingDelivery[]> {
    const deliveries = await pendingDeliveries();
    const ids = new Set(deliveries.map((delivery) => delivery.id));
    /** Each event once, with the oldest delivery holding it. */
    const holders = new Map<string, { event: AcceptedEvent; delivery: string }>();
    for (const delivery of deliveries) {
      for (const event of delivery.events) {
        if (!holders.has(event.id)) holders.set(event.id, { event, delivery: delivery.id });
      }
    }
    const eventIds = [...holders.keys()];
    const states = await statesOf(await store.batchGet(eventIds.map(key), stateBins));
    const byDelivery = new Map<string, AcceptedEvent[]>(deliveries.map((d) => [d.id, []]));
    const moved: { id: string; delivery: string }[] = [];
    eventIds.forEach((id, i) => {
      const state = states[i] as EventState;
      // Applied ones are done; missing ones were never acknowledged (or are past the window).
      if (state.status !== "pending") return;
      const holder = holders.get(id) as { event: AcceptedEvent; delivery: string };
      const owner =
        state.delivery !== undefined && ids.has(state.delivery) ? state.delivery : holder.delivery;
      if (owner !== state.delivery) moved.push({ id, delivery: owner });
      byDelivery.get(owner)?.push(holder.event);
    });
    const failed = (await pointAt(moved)).find((result) => result !== true);
    if (failed) throw failed;
    return deliveries.map((delivery) => ({
      ...delivery,
      events: byDelivery.get(delivery.id) ?? [],
    }));
  }

  return { claim, markApplied, status, statuses, pendingDeliveries, pendingEvents };
}
