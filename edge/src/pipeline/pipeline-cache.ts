import { cacheApiTier } from "../cache/edge-cache-tier.js";
import { InferenceCache } from "../cache/inference-cache.js";
import type { CachedList } from "./recommend.js";

/** Lists kept in isolate memory: ~10k lists of 10-100 ids stay within a few MB of the 128 MB isolate. */
const MEMORY_LISTS = 10_000;

const byRegion = new Map<string, InferenceCache<CachedList>>();

/** The isolate's inference cache for `region` (one per isolate; an isolate serves one region). */
export function pipelineCache(region: string): InferenceCache<CachedList> {
  let cache = byRegion.get(region);
  if (!cache) {
    cache = new InferenceCache<CachedList>({
      memoryEntries: MEMORY_LISTS,
      edge: cacheApiTier(() => caches.default, region),
    });
    byRegion.set(region, cache);
  }
  return cache;
}
