import type { AcceptedEvent } from "#shared/api/events";
import { type RecordKey, StoreError, type StorePort } from "../store/port.js";

/** Store set of the event log: one record per event id. */
export const EVENT_LOG_SET = "evlog";

/** What the log knew about an event id when it was claimed. */
export type ClaimOutcome =
  /** First time this id is seen: the log now holds it as pending. */
  | "new"
  /** Logged earlier but never marked applied: a crash (or failed delivery) left it behind. */
  | "pending"
  /** Logged and applied earlier: a duplicate. */
  | "applied";

/** Bins of an event-log record (short: Aerospike bin names are at most 15 bytes). */
export const EVENT_LOG_BINS = {
  /** `pending` until the event's feature writes are durable, then `applied`. */
  status: "s",
  /** The event as received (JSON), so a leftover can be inspected or replayed. */
  event: "ev",
  /** Epoch ms the origin first received it. */
  receivedAt: "at",
} as const;

export interface EventLog {
  /**
   * Durably records each event id (create-only) or reports what an earlier
   * delivery left; results in input order. One store call for the batch.
   */
  claim(events: readonly AcceptedEvent[], receivedAt: number): Promise<ClaimOutcome[]>;
  /** Marks the events applied; resolves once durable. Keeps each record's expiry. */
  markApplied(ids: readonly string[]): Promise<void>;
  /** The status an id has in the log, or `null` if it was never seen (or has expired). */
  status(id: string): Promise<"pending" | "applied" | null>;
}

function isConflict(result: unknown): boolean {
  return result instanceof StoreError && result.code === "generation_conflict";
}

/**
 * The event log on the store port: a create-only write (`expectGen: 0`) per
 * event id is the idempotency check, so it works the same on LMDB and on
 * Aerospike (where the server refuses the second create atomically). A batch
 * is one `operateMany` (one LMDB transaction, one Aerospike batch write);
 * records expire after the dedupe window.
 */
export function createEventLog(store: StorePort, ns: string, ttlSeconds: number): EventLog {
  const key = (id: string): RecordKey => ({ ns, set: EVENT_LOG_SET, key: id });
  const statusOf = (bins: Record<string, unknown> | undefined) =>
    bins?.[EVENT_LOG_BINS.status] === "applied" ? ("applied" as const) : ("pending" as const);

  async function status(id: string): Promise<"pending" | "applied" | null> {
    const record = await store.get(key(id), [EVENT_LOG_BINS.status]);
    return record ? statusOf(record.bins) : null;
  }

  async function create(
    events: readonly AcceptedEvent[],
    receivedAt: number,
  ): Promise<(true | StoreError)[]> {
    const results = await store.operateMany(
      events.map((event) => ({
        key: key(event.id),
        operations: [
          { op: "put", bin: EVENT_LOG_BINS.status, value: "pending" },
          { op: "put", bin: EVENT_LOG_BINS.event, value: JSON.stringify(event) },
          { op: "put", bin: EVENT_LOG_BINS.receivedAt, value: receivedAt },
        ],
        options: { expectGen: 0, ttl: ttlSeconds },
      })),
    );
    return results.map((result) => (result instanceof StoreError ? result : true));
  }

  async function claim(
    events: readonly AcceptedEvent[],
    receivedAt: number,
  ): Promise<ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = new Array(events.length).fill("new");
    let todo = events.map((_, i) => i);
    // Two rounds: an earlier record can expire between the refused create and the read.
    for (let round = 0; round < 2 && todo.length > 0; round++) {
      const created = await create(
        todo.map((i) => events[i] as AcceptedEvent),
        receivedAt,
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

  async function markApplied(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    // `operate` keeps the record's expiry by default: the dedupe window runs from first receipt.
    const results = await store.operateMany(
      ids.map((id) => ({
        key: key(id),
        operations: [{ op: "put", bin: EVENT_LOG_BINS.status, value: "applied" }],
      })),
    );
    const failed = results.find((result) => result instanceof StoreError);
    if (failed) throw failed;
  }

  return { claim, markApplied, status };
}
