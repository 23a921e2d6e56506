import type { Surface } from "#shared/api/recommendations";

/** How long an answer is served as fresh, then as stale while it is recomputed in the background. */
export interface CacheWindows {
  freshMs: number;
  staleMs: number;
}

/**
 * Per-surface windows. A shopper's own events change the key (session version),
 * so these bound only how stale the catalogue, trending and model side may be.
 */
export const CACHE_WINDOWS: Readonly<Record<Surface, CacheWindows>> = {
  // Home is browsed most; trending moves in minutes, so 30 s fresh + 5 min stale-while-revalidate.
  home: { freshMs: 30_000, staleMs: 300_000 },
  // Item pages depend mostly on the item (co-visitation), which changes slowly.
  pdp: { freshMs: 60_000, staleMs: 600_000 },
  // The cart changes as the shopper acts; keep its lists short-lived.
  cart: { freshMs: 5_000, staleMs: 30_000 },
  // Search results follow query trends; a minute of fresh covers a typing burst.
  search: { freshMs: 30_000, staleMs: 120_000 },
  // Category listings change with merchandising, not per second.
  category: { freshMs: 60_000, staleMs: 600_000 },
};
