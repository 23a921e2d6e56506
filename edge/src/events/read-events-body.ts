import { z } from "zod";
import { MAX_EVENTS_BODY_BYTES, MAX_EVENTS_PER_BATCH } from "#shared/api/events";
import { ApiError, describeZodIssues } from "#shared/http/api-error";

/** `text/plain` is what `navigator.sendBeacon(url, string)` sends; it avoids a CORS preflight. */
const ACCEPTED_MEDIA_TYPES = new Set(["application/json", "text/plain"]);

const EventsEnvelope = z.object({ events: z.array(z.unknown()).min(1) });

function tooLarge(): ApiError {
  return new ApiError(
    "payload_too_large",
    `body is larger than ${MAX_EVENTS_BODY_BYTES} bytes; send fewer events per request`,
  );
}

/** Reads at most `limit` bytes of the body; throws 413 as soon as it grows past that. */
async function readCapped(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The raw events of a `POST /v1/events` body, or an `ApiError`: 415 for other
 * media types, 413 over 1 MB (declared or actual) or over 500 events, 400 for
 * a body that is not `{ "events": [...] }` JSON. Events themselves are
 * validated one by one afterwards, so one bad event never costs the batch.
 */
export async function readEventsBody(request: Request): Promise<unknown[]> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (!mediaType || !ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    throw new ApiError(
      "unsupported_media_type",
      "content-type must be application/json or text/plain (JSON text, as sendBeacon sends)",
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_EVENTS_BODY_BYTES) throw tooLarge();
  const bytes = await readCapped(request, MAX_EVENTS_BODY_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError("invalid_request", 'body must be JSON: { "events": [...] }');
  }
  const envelope = EventsEnvelope.safeParse(json);
  if (!envelope.success) {
    throw new ApiError("invalid_request", describeZodIssues(envelope.error));
  }
  const events = envelope.data.events;
  if (events.length > MAX_EVENTS_PER_BATCH) {
    throw new ApiError(
      "payload_too_large",
      `at most ${MAX_EVENTS_PER_BATCH} events per request, got ${events.length}`,
    );
  }
  return events;
}
