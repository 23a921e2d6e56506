import type { AcceptedEvent } from "#shared/api/events";
import { type OperateRequest, type RecordKey, StoreError, type StorePort } from "../store/port.js";

/** Store set of the event log: one small dedupe record per event id. */
export const EVENT_LOG_SET = "evlog";
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
  /** `pending` until the event's feature writes are durable, then `applied`. */
  status: "s",
  /** Epoch ms the origin first received it. */
  receivedAt: "at",
} as const;

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
   * before they are applied.
   */
  claim(
    events: readonly AcceptedEvent[],
    receivedAt: number,
    deliveryId?: string,
  ): Promise<ClaimOutcome[]>;
  /**
   * Marks the events applied and the deliveries done, in one `operateMany`;
   * resolves once durable. Keeps each event record's expiry.
   */
  markApplied(ids: readonly string[], deliveryIds?: readonly string[]): Promise<void>;
  /** The status an id has in the log, or `null` if it was never seen (or has expired). */
  status(id: string): Promise<"pending" | "applied" | null>;
  /** Statuses of many ids, one batched read, in input order. */
  statuses(ids: readonly string[]): Promise<("pending" | "applied" | null)[]>;
  /** This region's logged deliveries not yet marked done (a scan of a small set). */
  pendingDeliveries(): Promise<PendingDelivery[]>;
}

function isConflict(result: unknown): boolean {
  return result instanceof StoreError && result.code === "generation_conflict";
}

/**
 * The event log on the store port: a create-only write (`expectGen: 0`) per
 * event id is the idempotency check, so it works the same on LMDB and on
 * Aerospike (where the server refuses the second create atomically; batch
 * writes carry `exists: CREATE`). The dedupe record is small (status and
 * receipt time); the event bodies are stored once per delivery in the
 * pending set until applied. Records expire after the dedupe window.
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
  const statusOf = (bins: Record<string, unknown> | undefined) =>
    bins?.[EVENT_LOG_BINS.status] === "applied" ? ("applied" as const) : ("pending" as const);

  async function status(id: string): Promise<"pending" | "applied" | null> {
    const record = await store.get(key(id), [EVENT_LOG_BINS.status]);
    return record ? statusOf(record.bins) : null;
  }

  async function statuses(ids: readonly string[]): Promise<("pending" | "applied" | null)[]> {
    if (ids.length === 0) return [];
    const records = await store.batchGet(ids.map(key), [EVENT_LOG_BINS.status]);
    return records.map((record) => (record ? statusOf(record.bins) : null));
  }

  async function create(
    events: readonly AcceptedEvent[],
    receivedAt: number,
    deliveryId: string | undefined,
  ): Promise<(true | StoreError)[]> {
    const requests: OperateRequest[] = events.map((event) => ({
      key: key(event.id),
      operations: [
        { op: "put", bin: EVENT_LOG_BINS.status, value: "pending" },
        { op: "put", bin: EVENT_LOG_BINS.receivedAt, value: receivedAt },
      ],
      options: { expectGen: 0, ttl: ttlSeconds },
    }));
    if (deliveryId !== undefined) {
      requests.push({
        key: deliveryKey(deliveryId),
        operations: [
          { op: "put", bin: PENDING_DELIVERY_BINS.delivery, value: deliveryId },
          { op: "put", bin: PENDING_DELIVERY_BINS.events, value: JSON.stringify(events) },
          { op: "put", bin: PENDING_DELIVERY_BINS.receivedAt, value: receivedAt },
          { op: "put", bin: PENDING_DELIVERY_BINS.region, value: region },
        ],
        options: { ttl: ttlSeconds },
      });
    }
    const results = await store.operateMany(requests);
    if (deliveryId !== undefined) {
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
  ): Promise<ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = new Array(events.length).fill("new");
    let todo = events.map((_, i) => i);
    // Two rounds: an earlier record can expire between the refused create and the read.
    for (let round = 0; round < 2 && todo.length > 0; round++) {
      const created = await create(
        todo.map((i) => events[i] as AcceptedEvent),
        receivedAt,
        round === 0 ? deliveryId : undefined,
      );
      const seen: number[] = [];
      created.forEach((result, j) => {
        if (result === true) return;
        if (!isConflict(result)) throw result;
        seen.push(todo[j] as number);
      });
      if (seen.length === 0) return outcomes;
      const records = await store.batchGet(
        seen.map((i) => key((events[i] as AcceptedEvent).id)),
        [EVENT_LOG_BINS.status],
      );
      todo = [];
      records.forEach((record, j) => {
        const i = seen[j] as number;
        if (record) outcomes[i] = statusOf(record.bins);
        else todo.push(i);
      });
    }
    if (todo.length > 0) {
      throw new StoreError("unavailable", "event log records keep changing; redeliver the batch");
    }
    return outcomes;
  }

  async function markApplied(
    ids: readonly string[],
    deliveryIds: readonly string[] = [],
  ): Promise<void> {
    if (ids.length === 0 && deliveryIds.length === 0) return;
    // `operate` keeps the record's expiry by default: the dedupe window runs from first receipt.
    const requests: OperateRequest[] = ids.map((id) => ({
      key: key(id),
      operations: [{ op: "put", bin: EVENT_LOG_BINS.status, value: "applied" }],
    }));
    for (const id of deliveryIds) {
      requests.push({
        key: deliveryKey(id),
        operations: [
          { op: "put", bin: PENDING_DELIVERY_BINS.done, value: 1 },
          { op: "put", bin: PENDING_DELIVERY_BINS.events, value: null },
        ],
        options: { ttl: DONE_DELIVERY_TTL_SECONDS },
      });
    }
    const results = await store.operateMany(requests);
    const failed = results.find((result) => result instanceof StoreError);
    if (failed) throw failed;
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
    return out.sort((a, b) => a.receivedAt - b.receivedAt);
  }

  return { claim, markApplied, status, statuses, pendingDeliveries };
}
