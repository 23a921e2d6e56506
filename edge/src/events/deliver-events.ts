import { type AcceptedEvent, InternalEventsResponse } from "#shared/api/events";
import { ApiError } from "#shared/http/api-error";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";
import { callOrigin } from "../origin/origin-client.js";

/** Retries back off 2, 4, 8 … s per attempt, capped at a minute so an origin outage is not hammered. */
const MAX_RETRY_DELAY_SECONDS = 60;

export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, 2 ** Math.max(1, attempts));
}

/**
 * The queue consumer: posts a batch of events, signed, to the origin's
 * `POST /internal/events` and acknowledges it only once the origin answered
 * 2xx (it answers after its writes are durable). Anything else (down, late,
 * 5xx, refused) retries the whole batch with a delay; the origin is idempotent
 * on event id, and after `max_retries` the queue moves the batch to its
 * dead-letter queue rather than dropping it.
 */
export async function deliverEvents(
  batch: MessageBatch<AcceptedEvent>,
  env: EdgeBindings,
): Promise<void> {
  const attempts = Math.max(...batch.messages.map((message) => message.attempts));
  try {
    const config = edgeConfig(env);
    const result = await callOrigin(
      config,
      "/internal/events",
      { events: batch.messages.map((message) => message.body) },
      InternalEventsResponse,
      { requestId: crypto.randomUUID(), timeoutMs: config.eventsDeliveryTimeoutMs },
    );
    batch.ackAll();
    if (result.rejected.length > 0) {
      // Retrying cannot make an invalid event valid: log it and let it go.
      console.warn("origin rejected events", JSON.stringify(result.rejected));
    }
  } catch (error) {
    const reason = error instanceof ApiError ? error.message : String(error);
    console.warn("event delivery failed; retrying", batch.messages.length, reason);
    batch.retryAll({ delaySeconds: retryDelaySeconds(attempts) });
  }
}
