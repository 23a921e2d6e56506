import { recordKeys } from "../catalog/record-keys.js";
import type { StorePort } from "../store/port.js";
import { rememberNewest } from "./remember-newest.js";

/** Catalog bin holding an item's category (written by the catalog loader, see `seed/`). */
const CATEGORY_BIN = "cat";

/**
 * A re-categorised or newly added item is picked up within 10 minutes; until
 * then the stream keeps using what it knew (a category rarely changes).
 */
const CACHE_TTL_MS = 10 * 60_000;
/** ~100k items × ~100 bytes: a few MB of heap covers a large catalog's hot set. */
const CACHE_MAX_ENTRIES = 100_000;

/**
 * Categories of items, for the category features: one batched catalog read
 * per stream batch for the items not in a bounded process-level cache
 * (unknown items are cached too, as `null`, so they cost no read per batch).
 */
export class CategoryLookup {
  private readonly cache = new Map<string, { category: string | null; until: number }>();
  private readonly keys;

  constructor(
    private readonly store: StorePort,
    ns: string,
    private readonly now: () => number,
  ) {
    this.keys = recordKeys(ns);
  }

  /** Category per item id (missing from the map = unknown). */
  async categories(itemIds: Iterable<string>): Promise<Map<string, string>> {
    const now = this.now();
    const found = new Map<string, string>();
    const toRead: string[] = [];
    for (const id of new Set(itemIds)) {
      const cached = this.cache.get(id);
      if (cached && cached.until > now) {
        if (cached.category !== null) found.set(id, cached.category);
      } else {
        toRead.push(id);
      }
    }
    if (toRead.length === 0) return found;
    const records = await this.store.batchGet(
      toRead.map((id) => this.keys.item(id)),
      [CATEGORY_BIN],
    );
    toRead.forEach((id, i) => {
      const category = records[i]?.bins[CATEGORY_BIN];
      const value = typeof category === "string" && category !== "" ? category : null;
      this.remember(id, value, now);
      if (value !== null) found.set(id, value);
    });
    return found;
  }

  private remember(id: string, category: string | null, now: number): void {
    rememberNewest(this.cache, id, { category, until: now + CACHE_TTL_MS }, CACHE_MAX_ENTRIES);
  }
}
