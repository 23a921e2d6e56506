import type { AcceptedEvent } from "#shared/api/events";
import { type RecordKey, StoreError, type StorePort, TTL_KEEP } from "../store/port.js";

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
  /** Durably records the event id (create-only) or reports what an earlier delivery left. */
  claim(event: AcceptedEvent, receivedAt: number): Promise<ClaimOutcome>;
  /** Marks the events applied; resolves once durable. Keeps each record's expiry. */
  markApplied(ids: readonly string[]): Promise<void>;
  /** The status an id has in the log, or `null` if it was never seen (or has expired). */
  status(id: string): Promise<"pending" | "applied" | null>;
}

/**
 * The event log on the store port: a create-only `put` (`expectGen: 0`) per
 * event id is the idempotency check, so it works the same on LMDB and on
 * Aerospike (where the server refuses the second create atomically). Records
 * expire after the dedupe window.
 */
export function createEventLog(store: StorePort, ns: string, ttlSeconds: number): EventLog {
  const key = (id: string): RecordKey => ({ ns, set: EVENT_LOG_SET, key: id });

  async function status(id: string): Promise<"pending" | "applied" | null> {
    const record = await store.get(key(id), [EVENT_LOG_BINS.status]);
    if (!record) return null;
    return record.bins[EVENT_LOG_BINS.status] === "applied" ? "applied" : "pending";
  }

  async function claim(event: AcceptedEvent, receivedAt: number): Promise<ClaimOutcome> {
    // Two attempts: the earlier record can expire between the refused create and the read.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await store.put(
          key(event.id),
          {
            [EVENT_LOG_BINS.status]: "pending",
            [EVENT_LOG_BINS.event]: JSON.stringify(event),
            [EVENT_LOG_BINS.receivedAt]: receivedAt,
          },
          { expectGen: 0, ttl: ttlSeconds },
        );
        return "new";
      } catch (error) {
        if (!(error instanceof StoreError && error.code === "generation_conflict")) throw error;
      }
      const seen = await status(event.id);
      if (seen) return seen;
    }
    throw new StoreError("unavailable", `event log record ${event.id} keeps changing`);
  }

  async function markApplied(ids: readonly string[]): Promise<void> {
    await Promise.all(
      ids.map((id) =>
        store.put(key(id), { [EVENT_LOG_BINS.status]: "applied" }, { ttl: TTL_KEEP }),
      ),
    );
  }

  return { claim, markApplied, status };
}
