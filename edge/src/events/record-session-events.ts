import type { AcceptedEvent } from "#shared/api/events";
import type { EdgeBindings } from "../env.js";
import { recordSessionEvents } from "../session/session-client.js";

/**
 * Records a request's accepted events in the shopper's session (the edge's
 * signed-cookie session, not the `sessionId` the page wrote into each event:
 * the recommendation path reads that same cookie session, and nobody can write
 * into another session by naming it). A failure is logged, not answered: the
 * events are already safe on the queue and reach the origin's session
 * features within a second, so the shopper loses at most the instant part of
 * read-your-writes for this batch, never an event.
 */
export async function recordForReadYourWrites(
  env: EdgeBindings,
  sessionId: string,
  events: readonly AcceptedEvent[],
): Promise<void> {
  try {
    await recordSessionEvents(env, sessionId, events);
  } catch (error) {
    console.error(
      "session state not recorded",
      error instanceof Error ? error.message : String(error),
    );
  }
}
