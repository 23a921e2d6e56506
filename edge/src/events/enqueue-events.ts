import type { AcceptedEvent } from "#shared/api/events";
import { ApiError } from "#shared/http/api-error";

/** Cloudflare Queues: at most 100 messages per `sendBatch`. */
export const MAX_MESSAGES_PER_SEND = 100;
/** Cloudflare Queues: at most 256 KB (1 KB = 1,000 bytes) per `sendBatch`. */
export const MAX_BYTES_PER_SEND = 256_000;
/** Queues count up to ~100 bytes of metadata per message against the limits. */
const MESSAGE_OVERHEAD_BYTES = 100;

const encoder = new TextEncoder();

/**
 * Splits events into `sendBatch` calls inside both queue limits. One message
 * per event, so a retried delivery carries exactly the unacknowledged events.
 */
export function chunkForQueue(events: readonly AcceptedEvent[]): AcceptedEvent[][] {
  const chunks: AcceptedEvent[][] = [];
  let current: AcceptedEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = encoder.encode(JSON.stringify(event)).byteLength + MESSAGE_OVERHEAD_BYTES;
    if (
      current.length === MAX_MESSAGES_PER_SEND ||
      (current.length > 0 && bytes + size > MAX_BYTES_PER_SEND)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Puts the events on the queue and resolves once every `sendBatch` has: only
 * then may the edge answer 202. A failure throws `queue_unavailable` (503);
 * the client resends the whole batch and the origin drops what was queued twice.
 */
export async function enqueueEvents(
  queue: Queue<AcceptedEvent>,
  events: readonly AcceptedEvent[],
): Promise<void> {
  try {
    await Promise.all(
      chunkForQueue(events).map((chunk) =>
        queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const }))),
      ),
    );
  } catch (error) {
    console.error("events not queued", error instanceof Error ? error.message : String(error));
    throw new ApiError("queue_unavailable", "events were not queued; send them again");
  }
}
