import type { EventType } from "#shared/api/events";

/** What the edge knows of a session's last actions (read-your-writes). */
export interface SessionSnapshot {
  /** 0 for a session with nothing recorded; +1 for every batch that changed it. */
  version: number;
  /** Newest first, deduplicated, at most `MAX_RECENT_ITEMS`. */
  recentItems: string[];
  /** Newest first, deduplicated, at most `MAX_RECENT_CATEGORIES` (from events that named one). */
  recentCategories: string[];
  /** Epoch ms of the last change (0 = never). */
  updatedAt: number;
}

/** One event as the session keeps it: only what changes the snapshot. */
export interface SessionEventInput {
  type: EventType;
  itemIds: readonly string[];
  category?: string | undefined;
  ts: number;
}

/** Enough to describe a session's current intent and exclude what it just saw; bounded storage per session. */
export const MAX_RECENT_ITEMS = 50;
export const MAX_RECENT_CATEGORIES = 20;
/** A session idle this long is deleted (storage stays bounded); a day covers a shopper coming back later the same day. */
export const SESSION_IDLE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Event types that say what the shopper is into. Impressions (what we showed)
 * and removals are not intent, and recording them would bump the version on
 * every page view, emptying the inference cache for nothing.
 */
export const INTENT_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  "view",
  "click",
  "add_to_cart",
  "wishlist",
  "purchase",
]);

export const EMPTY_SESSION: SessionSnapshot = Object.freeze({
  version: 0,
  recentItems: [],
  recentCategories: [],
  updatedAt: 0,
}) as SessionSnapshot;

/** Puts `values` (oldest first) at the front of `list` (newest first), deduplicated and capped. */
function pushNewest(list: readonly string[], values: readonly string[], cap: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = values.length - 1; i >= 0 && out.length < cap; i--) {
    const value = values[i] as string;
    if (!seen.has(value)) {
      seen.add(value);
      out.push(value);
    }
  }
  for (const value of list) {
    if (out.length === cap) break;
    if (!seen.has(value)) {
      seen.add(value);
      out.push(value);
    }
  }
  return out;
}

/**
 * The snapshot after a batch of events (applied in `ts` order), or the same
 * snapshot object when no event in it carries intent. Pure, so the rules are
 * testable without a Durable Object.
 */
export function applySessionEvents(
  snapshot: SessionSnapshot,
  events: readonly SessionEventInput[],
  now: number,
): SessionSnapshot {
  const intent = events.filter((e) => INTENT_EVENT_TYPES.has(e.type) && e.itemIds.length > 0);
  if (intent.length === 0) return snapshot;
  const ordered = [...intent].sort((a, b) => a.ts - b.ts);
  const items = ordered.flatMap((e) => e.itemIds);
  const categories = ordered.flatMap((e) => (e.category ? [e.category] : []));
  return {
    version: snapshot.version + 1,
    recentItems: pushNewest(snapshot.recentItems, items, MAX_RECENT_ITEMS),
    recentCategories: pushNewest(snapshot.recentCategories, categories, MAX_RECENT_CATEGORIES),
    updatedAt: Math.max(now, snapshot.updatedAt),
  };
}
