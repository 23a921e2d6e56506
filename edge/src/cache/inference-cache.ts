import { type CacheEntry, freshnessOf } from "./cache-entry.js";
import type { CacheWindows } from "./cache-windows.js";
import type { EdgeCacheTier } from "./edge-cache-tier.js";
import { MemoryLru } from "./memory-lru.js";

/** Where a served value came from: a cache tier, or computed for this request. */
export type ServedFrom = "memory" | "edge-cache" | "computed";

export interface Served<T> {
  value: T;
  computedAt: number;
  from: ServedFrom;
  /** Served from a cache entry past its fresh window (a refresh was started or is running). */
  stale: boolean;
}

/** What a compute function hands back; only `cacheable` answers are stored. */
export interface Computed<T> {
  value: T;
  computedAt: number;
  /** A degraded answer is not cached: the next request should try for a better one. */
  cacheable: boolean;
}

export interface ComputeInput<T> {
  /** The last entry for this key even if expired: the fallback when nothing better is at hand. */
  previous?: CacheEntry<T>;
  /** The tier `previous` was found in. */
  previousFrom?: "memory" | "edge-cache";
  /** True for a stale-while-revalidate refresh (nobody is waiting on it). */
  background: boolean;
}

export type Compute<T> = (input: ComputeInput<T>) => Promise<Computed<T>>;

/** Counters for tests and the bench: every path leaves a trace here. */
export interface InferenceCacheStats {
  memoryHits: number;
  edgeCacheHits: number;
  misses: number;
  staleServed: number;
  refreshesStarted: number;
  /** Stale hits that found a refresh already in flight for their key. */
  refreshesJoined: number;
  refreshesFailed: number;
  stored: number;
}

export interface InferenceCacheOptions {
  /** Entries kept in isolate memory; expired ones stay until evicted, as a last-resort fallback. */
  memoryEntries: number;
  edge?: EdgeCacheTier;
  /** Epoch ms; injected in tests so windows are crossed without sleeping. */
  now?: () => number;
}

/**
 * Tiered stale-while-revalidate cache: isolate memory → Cache API → compute.
 * A hit in the slower tier refills memory; a stale hit is served at once and
 * refreshed in `waitUntil`, with one refresh in flight per key in this isolate;
 * empty answers are cached like any other ("known empty").
 *
 * @example
 * const served = await cache.get(key, CACHE_WINDOWS.home, compute, (p) => ctx.waitUntil(p));
 */
export class InferenceCache<T> {
  readonly stats: InferenceCacheStats = {
    memoryHits: 0,
    edgeCacheHits: 0,
    misses: 0,
    staleServed: 0,
    refreshesStarted: 0,
    refreshesJoined: 0,
    refreshesFailed: 0,
    stored: 0,
  };
  readonly #memory: MemoryLru<CacheEntry<T>>;
  readonly #edge: EdgeCacheTier | undefined;
  readonly #now: () => number;
  readonly #refreshing = new Set<string>();

  constructor(options: InferenceCacheOptions) {
    this.#memory = new MemoryLru(options.memoryEntries);
    this.#edge = options.edge;
    this.#now = options.now ?? Date.now;
  }

  async get(
    key: string,
    windows: CacheWindows,
    compute: Compute<T>,
    waitUntil: (promise: Promise<unknown>) => void,
  ): Promise<Served<T>> {
    const now = this.#now();
    const inMemory = this.#memory.get(key);
    let hit: { entry: CacheEntry<T>; from: "memory" | "edge-cache" } | undefined;
    if (inMemory && freshnessOf(inMemory, windows, now) !== "expired") {
      hit = { entry: inMemory, from: "memory" };
      this.stats.memoryHits++;
    }
    let inEdge: CacheEntry<T> | undefined;
    if (!hit && this.#edge) {
      // A broken cache tier must not fail the request: treat it as a miss.
      inEdge = await this.#edge.get<T>(key).catch(() => undefined);
      if (inEdge && freshnessOf(inEdge, windows, now) !== "expired") {
        this.#memory.set(key, inEdge);
        hit = { entry: inEdge, from: "edge-cache" };
        this.stats.edgeCacheHits++;
      }
    }
    if (hit) {
      const stale = freshnessOf(hit.entry, windows, now) === "stale";
      if (stale) {
        this.stats.staleServed++;
        this.#refresh(key, hit.entry, windows, compute, waitUntil);
      }
      return { value: hit.entry.value, computedAt: hit.entry.computedAt, from: hit.from, stale };
    }
    this.stats.misses++;
    const previous = inMemory ?? inEdge;
    const previousFrom = inMemory ? "memory" : inEdge ? "edge-cache" : undefined;
    const computed = await compute({ previous, previousFrom, background: false });
    if (computed.cacheable) this.remember(key, computed, windows, waitUntil);
    return {
      value: computed.value,
      computedAt: computed.computedAt,
      from: "computed",
      stale: false,
    };
  }

  /** Stores a computed answer in memory now and in the Cache API in the background. */
  remember(
    key: string,
    computed: Computed<T>,
    windows: CacheWindows,
    waitUntil: (promise: Promise<unknown>) => void,
  ): void {
    const entry: CacheEntry<T> = {
      value: computed.value,
      computedAt: computed.computedAt,
      storedAt: this.#now(),
    };
    this.#memory.set(key, entry);
    this.stats.stored++;
    if (this.#edge) waitUntil(this.#edge.put(key, entry, windows).catch(() => undefined));
  }

  /** Drops the isolate-memory copy only (as an eviction or a fresh isolate would). */
  evictMemory(key: string): void {
    this.#memory.delete(key);
  }

  /** Drops every isolate-memory copy, as a fresh isolate would start (caches.default keeps its copies). */
  clearMemory(): void {
    this.#memory.clear();
  }

  #refresh(
    key: string,
    previous: CacheEntry<T>,
    windows: CacheWindows,
    compute: Compute<T>,
    waitUntil: (promise: Promise<unknown>) => void,
  ): void {
    if (this.#refreshing.has(key)) {
      this.stats.refreshesJoined++;
      return;
    }
    this.#refreshing.add(key);
    this.stats.refreshesStarted++;
    const refresh = (async () => {
      try {
        const computed = await compute({ previous, background: true });
        if (computed.cacheable) this.remember(key, computed, windows, waitUntil);
        else this.stats.refreshesFailed++;
      } catch {
        this.stats.refreshesFailed++;
      } finally {
        this.#refreshing.delete(key);
      }
    })();
    waitUntil(refresh);
  }
}
