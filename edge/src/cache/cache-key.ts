import type { Surface } from "#shared/api/recommendations";

/** What one cached answer depends on. */
export interface CacheKeyParts {
  region: string;
  surface: Surface;
  /** A signed-in user, else a session with events, else the shared anonymous segment. */
  userId?: string;
  sessionId?: string;
  /** The session snapshot's version: the shopper's own events bump it, so the key changes. */
  sessionVersion: number;
  /** Request context that changes the list (current item, k, …). */
  context: Readonly<Record<string, string | number | undefined>>;
  /** Active model of the surface, e.g. `demo@3`, or `none`. */
  model: string;
}

/**
 * Who the answer is for. A new anonymous visitor (no events yet) gets the
 * region's segment list, shared by every such visitor: that is where most
 * cache hits come from; anyone with history gets their own entry.
 */
export function audienceOf(
  parts: Pick<CacheKeyParts, "region" | "surface" | "userId" | "sessionId" | "sessionVersion">,
): string {
  if (parts.userId) return `u:${parts.userId}`;
  if (parts.sessionId && parts.sessionVersion > 0) return `s:${parts.sessionId}`;
  return `seg:${parts.region}`;
}

function fnv1a(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

const AMPERSAND = "&";
const EQUALS = "=";

/**
 * FNV-1a over the context as `name=value&…` in name order, so keys stay short
 * whatever the context holds. Hashed part by part, without building the text
 * (this runs on every request, cache hits included).
 */
function contextHash(context: CacheKeyParts["context"]): string {
  let h = 0x811c9dc5;
  const names = Object.keys(context).sort();
  for (let n = 0; n < names.length; n++) {
    const name = names[n] as string;
    if (n > 0) h = fnv1a(h, AMPERSAND);
    h = fnv1a(fnv1a(fnv1a(h, name), EQUALS), String(context[name] ?? ""));
  }
  return (h >>> 0).toString(36);
}

/**
 * The inference-cache key: audience, surface, context hash, model and session version.
 *
 * @example
 * inferenceCacheKey({ region: "eu", surface: "home", sessionVersion: 0, context: { k: 10 }, model: "demo@1" })
 * // "seg:eu|home|1x2y3z|demo@1|0"
 */
export function inferenceCacheKey(parts: CacheKeyParts): string {
  return [
    audienceOf(parts),
    parts.surface,
    contextHash(parts.context),
    parts.model,
    parts.sessionVersion,
  ].join("|");
}
