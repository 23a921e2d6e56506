import type { AcceptedEvent } from "#shared/api/events";

/**
 * Turns accepted shopper events into real-time features (docs/features.md).
 * The ingestion route calls it after logging the events durably and before
 * acknowledging them; it must be safe to call concurrently.
 */
export interface StreamProcessor {
  /** Applies the events to the store; resolves once every write is durable. */
  apply(events: readonly AcceptedEvent[]): Promise<void>;
  /** Releases what the processor holds (a worker thread); called once, after the last `apply`. */
  close?(): Promise<void>;
}
