import type { PoolItemMeta, RetrievalPool } from "#shared/retrieval/pool-codec";
import type { Rule } from "#shared/rules/rules-config";
import type { PoolOverlay } from "./pool-overlay.js";
import type { AcceptIndex } from "./top-k-dot.js";

/**
 * The part of a surface's rules the edge can check from what it holds (stock,
 * category, brand). Everything else (boosts, pins, diversity, other features)
 * is the origin's job at re-rank; dropping early here only saves candidates.
 */
export interface EdgeFilter {
  dropOutOfStock: boolean;
  blockedCategories: ReadonlySet<string>;
  blockedBrands: ReadonlySet<string>;
}

/** The item features the edge knows, by the names rules use for them. */
const STOCK_FEATURE = "in_stock";
const CATEGORY_FEATURE = "category";
const BRAND_FEATURE = "brand";

function isActive(rule: Rule, now: number): boolean {
  if (!rule.active) return true;
  // A malformed window parses to NaN and never matches: the rule is treated as inactive.
  return Date.parse(rule.active.start) <= now && now < Date.parse(rule.active.end);
}

/**
 * The edge-checkable filters among `rules` that are active at `now`. Rules
 * arrive from the hot layer unparsed: anything malformed is skipped, never thrown.
 */
export function edgeFilterFromRules(rules: readonly Rule[] | undefined, now: number): EdgeFilter {
  let dropOutOfStock = false;
  const blockedCategories = new Set<string>();
  const blockedBrands = new Set<string>();
  for (const rule of Array.isArray(rules) ? rules : []) {
    if (typeof rule !== "object" || rule === null || !isActive(rule, now)) continue;
    if (rule.kind === "filter_blocked" && !Array.isArray(rule.values)) continue;
    if (rule.kind === "filter_out_of_stock" && (rule.feature ?? STOCK_FEATURE) === STOCK_FEATURE) {
      dropOutOfStock = true;
    } else if (rule.kind === "filter_blocked" && rule.feature === CATEGORY_FEATURE) {
      for (const value of rule.values) blockedCategories.add(value);
    } else if (rule.kind === "filter_blocked" && rule.feature === BRAND_FEATURE) {
      for (const value of rule.values) blockedBrands.add(value);
    }
  }
  return { dropOutOfStock, blockedCategories, blockedBrands };
}

/** False when the filter drops an item with these facts; unknown facts never drop an item. */
export function allowsItem(filter: EdgeFilter, meta: PoolItemMeta | undefined): boolean {
  if (!meta) return true;
  if (filter.dropOutOfStock && meta.inStock === false) return false;
  if (meta.category !== undefined && filter.blockedCategories.has(meta.category)) return false;
  if (meta.brand !== undefined && filter.blockedBrands.has(meta.brand)) return false;
  return true;
}

function blockedCodes(dictionary: readonly string[], blocked: ReadonlySet<string>): Uint8Array {
  const codes = new Uint8Array(dictionary.length);
  dictionary.forEach((value, code) => {
    if (value !== "" && blocked.has(value)) codes[code] = 1;
  });
  return codes;
}

/**
 * The filter plus exclusions as a check on pool indices, over the pool's coded
 * columns (no string per check): what `topKByDot` calls for heap entrants.
 * Items the overlay knows newer facts of are checked on those instead.
 */
export function poolAcceptor(
  pool: RetrievalPool,
  filter: EdgeFilter,
  excluded: ReadonlySet<number>,
  overlay?: PoolOverlay,
): AcceptIndex {
  const meta = pool.meta;
  const newer = overlay && overlay.byIndex.size > 0 ? overlay.byIndex : undefined;
  if (newer) {
    const fromColumns = poolAcceptor(pool, filter, excluded);
    return (index) => {
      const facts = newer.get(index);
      if (facts === undefined) return fromColumns(index);
      return !excluded.has(index) && allowsItem(filter, facts);
    };
  }
  if (!meta) return (index) => !excluded.has(index);
  const categories = blockedCodes(meta.categories, filter.blockedCategories);
  const brands = blockedCodes(meta.brands, filter.blockedBrands);
  const { categoryCodes, brandCodes, inStock } = meta;
  const dropOutOfStock = filter.dropOutOfStock;
  return (index) => {
    if (excluded.has(index)) return false;
    if (dropOutOfStock && ((inStock[index >> 3] ?? 0) & (1 << (index & 7))) === 0) return false;
    if (categories[categoryCodes[index] ?? 0] === 1) return false;
    return brands[brandCodes[index] ?? 0] !== 1;
  };
}
