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

/** Why an event naming a user is refused without that user's token. */
export const USER_EVENT_NEEDS_TOKEN =
  "userId: events for a signed-in user need that user's token (Authorization: Bearer; use fetch with keepalive, not sendBeacon)";

/**
 * Validates each event on its own (reasons name the field, by index) and fills
 * in this edge's region where the page did not say. An event naming a
 * `userId` is kept only when the request carries that user's verified token
 * (`verifiedUserId`): otherwise anyone could feed another shopper's history
 * and affinities at the origin.
 */
export function acceptEvents(
  raw: readonly unknown[],
  region: string,
  now: number,
  verifiedUserId?: string,
): AcceptedBatch {
  const accepted: AcceptedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (let index = 0; index < raw.length; index++) {
    const parsed = ShopperEvent.safeParse(raw[index]);
    if (!parsed.success) {
      rejected.push({ index, reason: describeZodIssues(parsed.error) });
    } else if (parsed.data.ts > now + MAX_EVENT_CLOCK_SKEW_MS) {
      rejected.push({ index, reason: "ts: more than 5 minutes in the future" });
    } else if (parsed.data.userId !== undefined && parsed.data.userId !== verifiedUserId) {
      rejected.push({ index, reason: USER_EVENT_NEEDS_TOKEN });
    } else {
      accepted.push({ ...parsed.data, region: parsed.data.region ?? region });
    }
  }
  return { accepted, rejected };
}
