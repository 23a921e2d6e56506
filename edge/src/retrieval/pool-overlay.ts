import type { PoolItemMeta, RetrievalPool } from "#shared/retrieval/pool-codec";
import { poolIndexOf } from "./pool-lookup.js";

/**
 * Newer facts than the pool's own columns, for items written at the origin
 * since the pool was built (a `poolOverlay` hot entry, compiled): the edge's
 * filters take an item's facts from here first. An overlay fact replaces the
 * pool's whole meta for that item (it is the origin's current truth; a fact
 * the origin lacks is unknown, and unknown facts never drop an item).
 */
export interface PoolOverlay {
  /** Facts by item id: pool items and items added since the build. */
  byId: ReadonlyMap<string, PoolItemMeta>;
  /** The same facts by pool index, for the search's acceptor (no string per check). */
  byIndex: ReadonlyMap<number, PoolItemMeta>;
}

/** Compiled once per overlay value (and pool) per isolate: requests share it. */
const compiled = new WeakMap<object, { pool: RetrievalPool; overlay: PoolOverlay | undefined }>();

function column(value: Record<string, unknown>, name: string): readonly unknown[] {
  const list = value[name];
  return Array.isArray(list) ? list : [];
}

/**
 * The overlay over `pool` from a `poolOverlay` entry's value as the hot layer
 * holds it (unparsed JSON: malformed rows are skipped, never thrown), or
 * undefined when there is nothing to apply.
 *
 * @example
 * const overlay = poolOverlayOf(pool, (await hot.get("poolOverlay", String(version)))?.value);
 */
export function poolOverlayOf(
  pool: RetrievalPool | undefined,
  value: unknown,
): PoolOverlay | undefined {
  if (!pool || typeof value !== "object" || value === null) return undefined;
  const held = compiled.get(value);
  if (held && held.pool === pool) return held.overlay;
  const raw = value as Record<string, unknown>;
  const ids = column(raw, "ids");
  const categories = column(raw, "categories");
  const brands = column(raw, "brands");
  const inStock = column(raw, "inStock");
  const byId = new Map<string, PoolItemMeta>();
  const byIndex = new Map<number, PoolItemMeta>();
  ids.forEach((id, i) => {
    if (typeof id !== "string" || id === "") return;
    const category = categories[i];
    const brand = brands[i];
    const stock = inStock[i];
    const meta: PoolItemMeta = {
      category: typeof category === "string" ? category : undefined,
      brand: typeof brand === "string" ? brand : undefined,
      inStock: typeof stock === "boolean" ? stock : undefined,
    };
    byId.set(id, meta);
    const index = poolIndexOf(pool, id);
    if (index !== undefined) byIndex.set(index, meta);
  });
  const overlay = byId.size > 0 ? { byId, byIndex } : undefined;
  compiled.set(value, { pool, overlay });
  return overlay;
}
