import { hashUnit } from "#shared/experiments/assign-arm";
import { MAX_POOL_OVERLAY_ITEMS, type PoolOverlayValue } from "#shared/hot/pool-overlay";
import type { HotSource } from "./hot-values.js";

/** The facts the edge filters on, by their registry names, in the overlay's column order. */
const FACTS = ["category", "brand", "in_stock"] as const;
/** Keys per feature read: the feature server's own bound per group. */
const KEYS_PER_READ = 1_000;

/** A hot entry's content: the value with its version and write time. */
export interface PoolOverlayRow {
  value: PoolOverlayValue | null;
  version: number;
  updatedAt: number;
}

const ABSENT: PoolOverlayRow = { value: null, version: 0, updatedAt: 0 };

/**
 * The `poolOverlay` entry of pool version `id`: the current category, brand
 * and stock of every item changed since that pool was built (newest first,
 * at most `MAX_POOL_OVERLAY_ITEMS`), read from the store now. The edge
 * applies them over the pool's own columns, so its filters follow item
 * writes within the hot layer's freshness bound while the multi-MB pool is
 * rebuilt only every HOT_POOL_REBUILD_MS. Version: a hash of the content,
 * so it moves exactly when the value does and the edge compiles each content
 * once however often it re-reads it; `null` for an id that is not a pool
 * version, or an origin without a pool.
 *
 * @example
 * const row = await poolOverlayRow(source, String(pool.currentVersion));
 */
export async function poolOverlayRow(source: HotSource, id: string): Promise<PoolOverlayRow> {
  const poolVersion = Number(id);
  if (!source.pool || !/^\d{1,10}$/.test(id)) return ABSENT;
  const changed = source.pool.changedSince(poolVersion);
  const ids = changed.ids.slice(0, MAX_POOL_OVERLAY_ITEMS);
  const value: PoolOverlayValue = {
    poolVersion,
    ids: [],
    categories: [],
    brands: [],
    inStock: [],
    complete: ids.length === changed.ids.length,
  };
  const item = source.features.registry.snapshot().entities.get("item");
  const names = FACTS.filter((name) => item?.features.has(name));
  for (let i = 0; i < ids.length && names.length > 0; i += KEYS_PER_READ) {
    const [group] = await source.features.server.get([
      { entity: "item", keys: ids.slice(i, i + KEYS_PER_READ), features: names },
    ]);
    for (const row of group?.rows ?? []) {
      const fact = (name: (typeof FACTS)[number]): unknown => {
        const f = names.indexOf(name);
        return f >= 0 && row.status[f] === "present" ? row.values[f] : null;
      };
      const category = fact("category");
      const brand = fact("brand");
      const inStock = fact("in_stock");
      value.ids.push(row.key);
      value.categories.push(typeof category === "string" ? category : null);
      value.brands.push(typeof brand === "string" ? brand : null);
      value.inStock.push(typeof inStock === "boolean" ? inStock : null);
    }
  }
  return { value, version: hashUnit(JSON.stringify(value)), updatedAt: changed.lastChangeAt };
}
