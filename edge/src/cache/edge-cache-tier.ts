import type { CacheEntry } from "./cache-entry.js";
import type { CacheWindows } from "./cache-windows.js";

/** The slower, colo-wide tier: the Cache API under synthetic URLs no browser ever requests. */
export interface EdgeCacheTier {
  get<T>(key: string): Promise<CacheEntry<T> | undefined>;
  put<T>(key: string, entry: CacheEntry<T>, windows: CacheWindows): Promise<void>;
}

/** Synthetic origin of the keys; `.internal` is reserved and never resolves. */
const KEY_ORIGIN = "https://inference-cache.internal/";

/**
 * `caches.default` as a tier. `max-age` is the entry's whole life (fresh +
 * stale), a duration, so the Cache API drops it when nobody may serve it.
 */
/** The synthetic URL an entry is stored under in the Cache API. */
export function edgeCacheUrl(namespace: string, key: string): string {
  return `${KEY_ORIGIN}${encodeURIComponent(namespace)}/${encodeURIComponent(key)}`;
}

export function cacheApiTier(cache: () => Cache, namespace: string): EdgeCacheTier {
  const urlOf = (key: string) => edgeCacheUrl(namespace, key);
  return {
    async get<T>(key: string) {
      const response = await cache().match(urlOf(key));
      if (!response) return undefined;
      return (await response.json()) as CacheEntry<T>;
    },
    async put<T>(key: string, entry: CacheEntry<T>, windows: CacheWindows) {
      const maxAge = Math.ceil((windows.freshMs + windows.staleMs) / 1000);
      await cache().put(
        urlOf(key),
        new Response(JSON.stringify(entry), {
          headers: { "content-type": "application/json", "cache-control": `max-age=${maxAge}` },
        }),
      );
    },
  };
}
