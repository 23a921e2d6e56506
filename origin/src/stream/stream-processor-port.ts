import type { AcceptedEvent } from "#shared/api/events";

/**
 * Turns accepted shopper events into real-time features (docs/features.md).
 * The ingestion route calls it after logging the events durably and before
 * acknowledging them; it must be safe to call concurrently.
 */
export interface StreamProcessor {
  /**
   * Applies the events to the store; resolves once every write is durable.
   * `serialized`, when the caller has it, is the same events as JSON arrays
   * (concatenated in order): a processor on another thread sends those
   * instead of serialising the events again.
   */
  apply(events: readonly AcceptedEvent[], serialized?: readonly string[]): Promise<void>;
  /** Releases what the processor holds (a worker thread); called once, after the last `apply`. */
  close?(): Promise<void>;
}
