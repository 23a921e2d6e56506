import type { Hono } from "hono";
import type { EventsAccepted } from "#shared/api/events";
import { ApiError } from "#shared/http/api-error";
import type { EdgeApp } from "../app.js";
import { edgeConfig } from "../config/edge-config.js";
import { acceptEvents } from "../events/accept-events.js";
import { enqueueEvents } from "../events/enqueue-events.js";
import { readEventsBody } from "../events/read-events-body.js";
import { recordForReadYourWrites } from "../events/record-session-events.js";

/**
 * `POST /v1/events`: a page's batch of shopper events (JSON, or `text/plain`
 * JSON from `navigator.sendBeacon`). 202 once the good events are durably on
 * the queue, listing the bad ones by index; the queue delivers them to the origin.
 * Before answering, the shopper's session Durable Object has recorded them too,
 * so the next recommendation request already reflects them (read-your-writes).
 */
export function registerEvents(app: Hono<EdgeApp>): void {
  app.post("/v1/events", async (c) => {
    const config = edgeConfig(c.env);
    const raw = await readEventsBody(c.req.raw);
    const shopper = c.get("shopper");
    const { accepted, rejected } = acceptEvents(raw, config.region, Date.now(), shopper.userId);
    if (accepted.length === 0) {
      const reasons = rejected.map((r) => `[${r.index}] ${r.reason}`).join("; ");
      throw new ApiError("invalid_request", `no valid events: ${reasons}`);
    }
    await Promise.all([
      enqueueEvents(c.env.EVENTS_QUEUE, accepted),
      recordForReadYourWrites(c.env, shopper.sessionId, accepted),
    ]);
    const body: EventsAccepted = {
      requestId: c.get("requestId"),
      accepted: accepted.length,
      rejected,
    };
    c.header("cache-control", "no-store");
    return c.json(body, 202);
  });
}
