import { type AcceptedEvent, EventType } from "#shared/api/events";
import { Surface } from "#shared/api/recommendations";
import { RegionName } from "#shared/config/region";

/*
 * A hand-written check in front of `ShopperEvent.safeParse` for the events a
 * delivery almost always holds: with zod, `validateEvents` cost ~2.5 µs per
 * event on the origin's main thread, with this ~0.5 µs (the events bench's
 * data, 500 per batch). It only ever *accepts*: anything it is
 * not sure of (a bad field, an unusual but valid shape such as a present
 * `undefined` or a class instance) returns `undefined` and goes to zod, so
 * every refusal and its reason stay zod's. What it accepts is exactly what zod
 * accepts and gives back, field for field and in the same key order
 * (`origin/test/events/well-formed-event.test.ts` pins both against the
 * schema). The limits below repeat `ShopperEvent`'s (shared/src/api/events.ts).
 */

/** `ShopperEvent.id`. */
const EVENT_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** `entityId`: 1-128 characters, no "|". */
const ENTITY_ID_MAX_LENGTH = 128;
/** `ShopperEvent.itemIds`. */
const MAX_ITEM_IDS = 100;
/** `context.query` and `context.requestId`. */
const MAX_QUERY_LENGTH = 256;
const MAX_REQUEST_ID_LENGTH = 128;

const EVENT_TYPES: ReadonlySet<unknown> = new Set(EventType.options);
const SURFACES: ReadonlySet<unknown> = new Set(Surface.options);

/** Region names zod accepted: a process sees a handful, each checked by the schema itself once. */
const regionsAccepted = new Set<string>();
/** Bounded so a sender inventing region names cannot grow it; past it, such events go to zod. */
const MAX_REGIONS_REMEMBERED = 256;

function isRegion(value: string): boolean {
  if (regionsAccepted.has(value)) return true;
  if (regionsAccepted.size >= MAX_REGIONS_REMEMBERED || !RegionName.safeParse(value).success) {
    return false;
  }
  regionsAccepted.add(value);
  return true;
}

function isEntityId(value: unknown): value is string {
  return (
    typeof value === "string" &&
    value.length >= 1 &&
    value.length <= ENTITY_ID_MAX_LENGTH &&
    !value.includes("|")
  );
}

/** A plain object (what `JSON.parse` makes); zod takes others too, but they go to zod. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `key` absent (not merely `undefined`: zod keeps a present `undefined` in its output). */
function absent(object: Record<string, unknown>, key: string): boolean {
  return !(key in object);
}

function isSafeIntAtLeast(value: unknown, min: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min;
}

/** The optional `context`, as zod outputs it, or `false` when zod must decide. */
function wellFormedContext(raw: unknown): AcceptedEvent["context"] | false {
  if (!isPlainObject(raw)) return false;
  const out: NonNullable<AcceptedEvent["context"]> = {};
  const { surface, position, query, requestId, category } = raw;
  if (surface !== undefined) {
    if (!SURFACES.has(surface)) return false;
    out.surface = surface as NonNullable<AcceptedEvent["context"]>["surface"];
  } else if (!absent(raw, "surface")) return false;
  if (position !== undefined) {
    if (!isSafeIntAtLeast(position, 0)) return false;
    out.position = position;
  } else if (!absent(raw, "position")) return false;
  if (query !== undefined) {
    if (typeof query !== "string" || query.length > MAX_QUERY_LENGTH) return false;
    out.query = query;
  } else if (!absent(raw, "query")) return false;
  if (requestId !== undefined) {
    if (typeof requestId !== "string" || requestId.length > MAX_REQUEST_ID_LENGTH) return false;
    out.requestId = requestId;
  } else if (!absent(raw, "requestId")) return false;
  if (category !== undefined) {
    if (!isEntityId(category)) return false;
    out.category = category;
  } else if (!absent(raw, "category")) return false;
  return out;
}

/**
 * `raw` as `validateEvents` accepts it (zod's output of `ShopperEvent`, with
 * `region` filled in when absent), or `undefined` when zod must decide: the
 * caller then parses it with zod, which accepts it or gives the reasons.
 *
 * @example
 * const event = wellFormedEvent(raw, "eu") ?? parseWithZod(raw);
 */
export function wellFormedEvent(raw: unknown, defaultRegion: string): AcceptedEvent | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { id, type, userId, sessionId, itemIds, region, ts, context } = raw;
  if (typeof id !== "string" || !EVENT_ID.test(id)) return undefined;
  if (!EVENT_TYPES.has(type)) return undefined;
  if (userId === undefined ? !absent(raw, "userId") : !isEntityId(userId)) return undefined;
  if (sessionId === undefined ? !absent(raw, "sessionId") : !isEntityId(sessionId)) {
    return undefined;
  }
  // zod's first refinement: a shopper to attribute the event to.
  if (userId === undefined && sessionId === undefined) return undefined;
  let items: string[];
  if (itemIds === undefined) {
    if (!absent(raw, "itemIds")) return undefined;
    items = [];
  } else {
    if (!Array.isArray(itemIds) || itemIds.length > MAX_ITEM_IDS) return undefined;
    for (let i = 0; i < itemIds.length; i++) {
      if (!isEntityId(itemIds[i])) return undefined;
    }
    // A copy, as zod's output is: the caller's array stays its own.
    items = itemIds.slice() as string[];
  }
  // zod's second refinement.
  if (type !== "search" && items.length === 0) return undefined;
  let givenRegion: string | undefined;
  if (region !== undefined) {
    if (typeof region !== "string" || !isRegion(region)) return undefined;
    givenRegion = region;
  } else if (!absent(raw, "region")) return undefined;
  if (!isSafeIntAtLeast(ts, 1)) return undefined;
  let outContext: AcceptedEvent["context"];
  if (context !== undefined) {
    const checked = wellFormedContext(context);
    if (checked === false) return undefined;
    outContext = checked;
  } else if (!absent(raw, "context")) return undefined;
  // zod's key order (the schema's), then `validateEvents`' region: in place when given, last when filled in.
  const event = { id, type } as AcceptedEvent;
  if (userId !== undefined) event.userId = userId as string;
  if (sessionId !== undefined) event.sessionId = sessionId as string;
  event.itemIds = items;
  if (givenRegion !== undefined) event.region = givenRegion;
  event.ts = ts;
  if (outContext !== undefined) event.context = outContext;
  if (givenRegion === undefined) event.region = defaultRegion;
  return event;
}
