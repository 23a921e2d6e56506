/**
 * The value of a `poolOverlay` hot entry: the current edge-filter facts
 * (stock, category, brand) of every item written at the origin since the
 * pool version named by the entry's id was built, and of items added since.
 * Columns, one row per item, so 5,000 items stay a few hundred KB of JSON.
 * `null` = the origin holds no such fact for the item (the edge keeps it).
 *
 * @example
 * { poolVersion: 123, ids: ["i00042"], categories: ["shoes"], brands: [null], inStock: [false], complete: true }
 */
export interface PoolOverlayValue {
  /** The pool version this overlay is relative to (the entry's id, as a number). */
  poolVersion: number;
  ids: string[];
  categories: (string | null)[];
  brands: (string | null)[];
  inStock: (boolean | null)[];
  /**
   * False when more items changed than one overlay carries (the most recent
   * ones are listed); the origin then rebuilds the pool at its next check,
   * so the edge moves to a pool that holds them all.
   */
  complete: boolean;
}

/**
 * Most items one overlay lists: ~70 bytes each in JSON, so at most ~350 KB,
 * far below a Durable Object SQLite row (2 MB) and a publish body (4 MB).
 * Past it the origin rebuilds the pool instead of growing the overlay.
 */
export const MAX_POOL_OVERLAY_ITEMS = 5_000;
