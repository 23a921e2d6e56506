import type { ShopperEvent } from "#shared/api/events";
import type { EdgeBindings } from "../env.js";
import {
  INTENT_EVENT_TYPES,
  type SessionEventInput,
  type SessionSnapshot,
} from "./session-snapshot.js";

export type { SessionSnapshot } from "./session-snapshot.js";

function sessionStub(env: EdgeBindings, sessionId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(sessionId));
}

/**
 * Records a session's events in its Durable Object; resolves once stored, so
 * a `readSession` after it sees them. Events without intent (impressions,
 * removals, searches) are not sent at all: no round trip, no version bump.
 */
export async function recordSessionEvents(
  env: EdgeBindings,
  sessionId: string,
  events: readonly Pick<ShopperEvent, "type" | "itemIds" | "ts" | "context">[],
): Promise<SessionSnapshot | undefined> {
  const inputs: SessionEventInput[] = [];
  for (const event of events) {
    if (!INTENT_EVENT_TYPES.has(event.type) || event.itemIds.length === 0) continue;
    inputs.push({
      type: event.type,
      itemIds: event.itemIds,
      category: event.context?.category,
      ts: event.ts,
    });
  }
  if (inputs.length === 0) return undefined;
  return sessionStub(env, sessionId).record(inputs);
}

/** The session's snapshot as of its last acknowledged events (version 0 when none). */
export async function readSession(env: EdgeBindings, sessionId: string): Promise<SessionSnapshot> {
  return sessionStub(env, sessionId).read();
}
