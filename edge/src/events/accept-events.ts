import {
  type AcceptedEvent,
  MAX_EVENT_CLOCK_SKEW_MS,
  type RejectedEvent,
  ShopperEvent,
} from "#shared/api/events";
import { describeZodIssues } from "#shared/http/api-error";

export interface AcceptedBatch {
  accepted: AcceptedEvent[];
  rejected: RejectedEvent[];
}

/**
 * Validates each event on its own (reasons name the field, by index) and fills
 * in this edge's region where the page did not say.
 */
export function acceptEvents(raw: readonly unknown[], region: string, now: number): AcceptedBatch {
  const accepted: AcceptedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (let index = 0; index < raw.length; index++) {
    const parsed = ShopperEvent.safeParse(raw[index]);
    if (!parsed.success) {
      rejected.push({ index, reason: describeZodIssues(parsed.error) });
    } else if (parsed.data.ts > now + MAX_EVENT_CLOCK_SKEW_MS) {
      rejected.push({ index, reason: "ts: more than 5 minutes in the future" });
    } else {
      accepted.push({ ...parsed.data, region: parsed.data.region ?? region });
    }
  }
  return { accepted, rejected };
}
