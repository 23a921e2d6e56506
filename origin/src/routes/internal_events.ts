import type { Hono } from "hono";
import { InternalEventsRequest } from "#shared/api/events";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { EventIngestion } from "../events/event-ingestion.js";
import type { Logger } from "../logger.js";
import { StoreError } from "../store/port.js";

/**
 * `POST /internal/events` (signed; mounted under /internal): a batch from the
 * edge's queue consumer. 200 only once every event is durably logged and
 * applied; 503 makes the queue redeliver the batch.
 */
export function registerInternalEvents(
  app: Hono,
  deps: { events: EventIngestion; logger: Logger },
): void {
  app.post("/events", async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(await c.req.text());
    } catch {
      throw new ApiError("invalid_request", "body must be JSON");
    }
    const request = parseOrThrow(InternalEventsRequest, json, "invalid_request");
    try {
      return c.json(await deps.events.ingest(request.events));
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      deps.logger.warn({ err: error, events: request.events.length }, "event batch not ingested");
      throw new ApiError("store_unavailable", "events were not stored; redeliver the batch");
    }
  });
}
