import { z } from "zod";
import { RegionName } from "../config/region.js";
import { Surface } from "./recommendations.js";

/** Largest batch `POST /v1/events` takes: a page's worth of beacons, bounded for the queue. */
export const MAX_EVENTS_PER_BATCH = 500;
/** Body limit of `POST /v1/events` (bytes). */
export const MAX_EVENTS_BODY_BYTES = 1024 * 1024;
/** Browsers' clocks run ahead: events up to 5 minutes in the future are accepted, later ones refused. */
export const MAX_EVENT_CLOCK_SKEW_MS = 5 * 60 * 1000;

export const EventType = z.enum([
  "impression",
  "view",
  "click",
  "add_to_cart",
  "remove_from_cart",
  "wishlist",
  "purchase",
  "search",
]);
export type EventType = z.infer<typeof EventType>;

const entityId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^|]+$/, 'must not contain "|" (it joins composite keys)');

/**
 * One shopper event. `id` is chosen by the sender (a UUID per event) and makes
 * delivery idempotent: the same id twice is applied once. The origin's fast
 * path for well-formed events (`origin/src/events/well-formed-event.ts`)
 * repeats these rules: change both (its test compares them over edge cases).
 */
export const ShopperEvent = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "expected 8-64 letters, digits, _ or -"),
    type: EventType,
    userId: entityId.optional(),
    sessionId: entityId.optional(),
    /** Items the event is about (one for view/click/cart, several for impressions). */
    itemIds: z.array(entityId).max(100).default([]),
    /** Filled in by the edge with its own region when absent. */
    region: RegionName.optional(),
    /** Epoch milliseconds when it happened on the client. */
    ts: z.number().int().positive(),
    context: z
      .object({
        surface: Surface.optional(),
        position: z.number().int().nonnegative().optional(),
        query: z.string().max(256).optional(),
        /** The recommendation response that showed the item, for attribution. */
        requestId: z.string().max(128).optional(),
        /** Category of the item(s), when the page knows it (saves a lookup). */
        category: entityId.optional(),
      })
      .optional(),
  })
  .refine((event) => event.userId !== undefined || event.sessionId !== undefined, {
    message: "needs userId or sessionId",
    path: ["userId"],
  })
  .refine((event) => event.type === "search" || event.itemIds.length > 0, {
    message: "needs at least one item id (every type but search)",
    path: ["itemIds"],
  });
export type ShopperEvent = z.infer<typeof ShopperEvent>;

/** An event after the edge accepted it: region is always set. */
export type AcceptedEvent = ShopperEvent & { region: string };

/** One refused event of a batch: its index in the batch and why. */
export const RejectedEvent = z.object({
  index: z.number().int().nonnegative(),
  reason: z.string(),
});
export type RejectedEvent = z.infer<typeof RejectedEvent>;

/** `202` body of `POST /v1/events`. */
export const EventsAccepted = z.object({
  requestId: z.string(),
  accepted: z.number().int().nonnegative(),
  rejected: z.array(RejectedEvent),
});
export type EventsAccepted = z.infer<typeof EventsAccepted>;

/** Body of the origin's signed `POST /internal/events` (from the edge's queue consumer). */
export const InternalEventsRequest = z.object({
  events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

/** Answer of `POST /internal/events`: every event is exactly one of these. */
export const InternalEventsResponse = z.object({
  /** Newly applied to features. */
  applied: z.number().int().nonnegative(),
  /** Already applied earlier (same id): nothing changed. */
  duplicates: z.number().int().nonnegative(),
  rejected: z.array(RejectedEvent),
});
export type InternalEventsResponse = z.infer<typeof InternalEventsResponse>;
