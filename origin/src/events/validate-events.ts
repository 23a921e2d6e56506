import {
  type AcceptedEvent,
  MAX_EVENT_CLOCK_SKEW_MS,
  type RejectedEvent,
  ShopperEvent,
} from "#shared/api/events";
import { describeZodIssues } from "#shared/http/api-error";
import { wellFormedEvent } from "./well-formed-event.js";

export interface ValidatedEvents {
  /** Valid events with their index in the batch, first occurrence of each id only. */
  valid: { index: number; event: AcceptedEvent }[];
  /** Same id twice in one batch: the later copies, counted as duplicates. */
  repeatedInBatch: number;
  rejected: RejectedEvent[];
}

export interface ValidateOptions {
  now: number;
  /** Filled in when an event has no region (the edge normally sets it). */
  region: string;
  /** Events older than this are refused: their id could no longer be deduplicated. */
  maxAgeMs: number;
}

/**
 * Validates each event of a delivered batch on its own, so one bad event never
 * costs the good ones; reasons name the field, as the edge's do.
 */
export function validateEvents(raw: readonly unknown[], options: ValidateOptions): ValidatedEvents {
  const valid: ValidatedEvents["valid"] = [];
  const rejected: RejectedEvent[] = [];
  const seen = new Set<string>();
  let repeatedInBatch = 0;
  for (let index = 0; index < raw.length; index++) {
    // The common well-formed event without zod (same outcome); zod decides the rest and says why.
    let event = wellFormedEvent(raw[index], options.region);
    if (event === undefined) {
      const parsed = ShopperEvent.safeParse(raw[index]);
      if (!parsed.success) {
        rejected.push({ index, reason: describeZodIssues(parsed.error) });
        continue;
      }
      event = { ...parsed.data, region: parsed.data.region ?? options.region };
    }
    if (event.ts > options.now + MAX_EVENT_CLOCK_SKEW_MS) {
      rejected.push({ index, reason: "ts: more than 5 minutes in the future" });
      continue;
    }
    if (event.ts < options.now - options.maxAgeMs) {
      rejected.push({ index, reason: "ts: older than the event dedupe window" });
      continue;
    }
    if (seen.has(event.id)) {
      repeatedInBatch++;
      continue;
    }
    seen.add(event.id);
    valid.push({ index, event });
  }
  return { valid, repeatedInBatch, rejected };
}
