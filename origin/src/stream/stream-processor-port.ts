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
   * instead of serialising the events again. `onWritten`, if the processor
   * supports it (on LMDB), is called once the events' writes are in the
   * store's transaction, before it is committed and flushed: a batch applied
   * from then on is written after them (the caller may send it while this
   * one is flushed to disk); durability still waits for the promise.
   */
  apply(
    events: readonly AcceptedEvent[],
    serialized?: readonly string[],
    onWritten?: () => void,
  ): Promise<void>;
  /** Releases what the processor holds (a worker thread); called once, after the last `apply`. */
  close?(): Promise<void>;
}
