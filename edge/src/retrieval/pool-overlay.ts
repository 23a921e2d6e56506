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

/**
 * The overlay compiled last for each pool, by the entry's version (a hash of
 * its content): the hot layer hands out a new parsed value each time it
 * re-reads the entry (every second), but the same content is compiled once
 * per isolate (a 5,000-item overlay over a 100k pool takes ~20 ms).
 */
const compiled = new WeakMap<
  RetrievalPool,
  { version: number; overlay: PoolOverlay | undefined }
>();

function column(value: Record<string, unknown>, name: string): readonly unknown[] {
  const list = value[name];
  return Array.isArray(list) ? list : [];
}

/**
 * The overlay over `pool` from its `poolOverlay` entry as the hot layer
 * holds it (the value is unparsed JSON: malformed rows are skipped, never
 * thrown), or undefined when there is nothing to apply.
 *
 * @example
 * const { pool, overlay } = await hotLayer(env).poolWithOverlay();
 * const facts = poolOverlayOf(pool, overlay);
 */
export function poolOverlayOf(
  pool: RetrievalPool | undefined,
  entry: { value: unknown; version: number } | undefined,
): PoolOverlay | undefined {
  const value = entry?.value;
  if (!pool || !entry || typeof value !== "object" || value === null) return undefined;
  const held = compiled.get(pool);
  if (held && held.version === entry.version) return held.overlay;
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
  compiled.set(pool, { version: entry.version, overlay });
  return overlay;
}
