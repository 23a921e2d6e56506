import type { HotKind, HotWireEntry } from "#shared/hot/hot-contract";
import { decodePool, type RetrievalPool } from "#shared/retrieval/pool-codec";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";
import { type HotConfig, hotConfig } from "./hot-config.js";
import type { StoredHotEntry } from "./hot-tables.js";
import { approximateBytes, MemoryTier } from "./memory-tier.js";
import { waitAtMost } from "./wait-at-most.js";

export type { HotKind } from "#shared/hot/hot-contract";
export type { RetrievalPool } from "#shared/retrieval/pool-codec";

/** One hot value as the origin published it. */
export interface HotEntry<T = unknown> {
  value: T;
  /** Content version: stable while the value is (a rules document's version, an item's last write …). */
  version: number;
  /** Epoch ms at the origin when the content was written. */
  updatedAt: number;
}

/**
 * The edge's per-region hot layer: isolate memory (bounded LRU) → the
 * region's `RegionHotStore` Durable Object → the origin on a miss. Writes at
 * the origin are visible here within `HOT_FRESHNESS_MS` (docs/edge.md, "Hot
 * layer"). Never throws for an unavailable store or origin: it answers with
 * what it holds, possibly stale, possibly nothing.
 *
 * @example
 * const items = await hotLayer(c.env).getMany("item", ["i00001", "i00002"]);
 * const pool = await hotLayer(c.env).pool();
 */
export interface HotLayer {
  /** Entries found; ids the origin does not know (or could not answer in time) are absent from the map. */
  getMany(kind: HotKind, ids: string[]): Promise<Map<string, HotEntry>>;
  get(kind: HotKind, id: string): Promise<HotEntry | undefined>;
  /** The region's retrieval pool, decoded once per version per isolate. */
  pool(): Promise<RetrievalPool | undefined>;
}

/** Counters for tests and Server-Timing: which tier answered. */
export interface HotLayerStats {
  memoryHits: number;
  /** RPCs to the region store for entries (one per `getMany` that missed memory). */
  storeReads: number;
  storeFailures: number;
  poolLoads: number;
}

/** `null` entry = known absent at the origin (cached too, so a miss does not hit the store every time). */
interface Held {
  entry: HotEntry | null;
}

export interface HotLayerOptions {
  /** Overrides of the parsed `HOT_*` settings (tests). */
  config?: Partial<HotConfig>;
  /** Injected clock (epoch ms) for the memory tier's staleness. */
  now?: () => number;
}

function memoryKey(kind: HotKind, id: string): string {
  return `${kind}\u0000${id}`;
}

/** The tiered implementation; `hotLayer(env)` hands out one per region per isolate. */
export class TieredHotLayer implements HotLayer {
  readonly stats: HotLayerStats = { memoryHits: 0, storeReads: 0, storeFailures: 0, poolLoads: 0 };
  private readonly memory: MemoryTier<Held>;
  private readonly now: () => number;
  private heldPool: { version: number; pool: RetrievalPool | undefined; checkedAt: number } | null =
    null;
  private poolLoad: Promise<void> | null = null;

  constructor(
    public env: EdgeBindings,
    private readonly region: string,
    private readonly config: HotConfig,
    now: () => number,
  ) {
    this.now = now;
    this.memory = new MemoryTier({
      maxEntries: config.memoryMaxEntries,
      maxBytes: config.memoryMaxBytes,
    });
  }

  private store(): DurableObjectStub<import("./region-hot-store.js").RegionHotStore> {
    const namespace = this.env.HOT_STORE;
    return namespace.get(namespace.idFromName(this.region));
  }

  async getMany(kind: HotKind, ids: string[]): Promise<Map<string, HotEntry>> {
    const out = new Map<string, HotEntry>();
    const now = this.now();
    const wanted: string[] = [];
    const expired = new Map<string, Held>();
    for (const id of ids) {
      const slot = this.memory.get(memoryKey(kind, id));
      if (slot && now - slot.fetchedAt <= this.config.memoryStaleMs) {
        this.stats.memoryHits++;
        if (slot.value.entry) out.set(id, slot.value.entry);
        continue;
      }
      if (slot) expired.set(id, slot.value);
      wanted.push(id);
    }
    if (wanted.length === 0) return out;
    let stored: StoredHotEntry[];
    try {
      this.stats.storeReads++;
      stored = await this.store().getMany(kind, [...new Set(wanted)], {
        waitMs: this.config.pullWaitMs,
      });
    } catch (error) {
      // The region store being unreachable degrades to the isolate's last copies.
      this.stats.storeFailures++;
      console.warn("hot store read failed", error instanceof Error ? error.message : String(error));
      for (const [id, held] of expired) if (held.entry) out.set(id, held.entry);
      return out;
    }
    const fetchedAt = this.now();
    const answered = new Set<string>();
    for (const row of stored) {
      const value = JSON.parse(row.valueJson) as unknown;
      const known = value !== null || kind === "model";
      const entry = known ? { value, version: row.version, updatedAt: row.updatedAt } : null;
      this.memory.set(
        memoryKey(kind, row.id),
        { entry },
        row.valueJson.length * 2 + approximateBytes(row.id),
        fetchedAt,
      );
      answered.add(row.id);
      if (entry) out.set(row.id, entry);
    }
    // Ids the store could not supply in time: the isolate's older copy beats nothing.
    for (const [id, held] of expired) if (!answered.has(id) && held.entry) out.set(id, held.entry);
    return out;
  }

  /**
   * Takes published entries into this isolate's memory at once (the isolate
   * that handled the publish); other isolates see them within `memoryStaleMs`.
   */
  remember(entries: readonly HotWireEntry[]): void {
    const fetchedAt = this.now();
    for (const wire of entries) {
      const value = wire.value ?? null;
      const known = value !== null || wire.kind === "model";
      const entry = known ? { value, version: wire.version, updatedAt: wire.updatedAt } : null;
      this.memory.set(
        memoryKey(wire.kind, wire.id),
        { entry },
        approximateBytes(value) + approximateBytes(wire.id),
        fetchedAt,
      );
    }
  }

  async get(kind: HotKind, id: string): Promise<HotEntry | undefined> {
    return (await this.getMany(kind, [id])).get(id);
  }

  async pool(): Promise<RetrievalPool | undefined> {
    const held = this.heldPool;
    if (held && this.now() - held.checkedAt <= this.config.memoryStaleMs) return held.pool;
    this.poolLoad ??= this.loadPool().finally(() => {
      this.poolLoad = null;
    });
    // The load may belong to another request; if that request is cancelled this one must not hang.
    await waitAtMost(this.poolLoad, this.config.pullTimeoutMs);
    return this.heldPool?.pool;
  }

  private async loadPool(): Promise<void> {
    const held = this.heldPool;
    try {
      const read = await this.store().pool(held?.version ?? null, {
        waitMs: this.config.pullWaitMs,
      });
      const checkedAt = this.now();
      if (!read) return;
      if (held && read.bytes === null && read.head.version === held.version) {
        held.checkedAt = checkedAt;
        return;
      }
      const bytes = read.bytes;
      // Decoded once per version: typed-array views over the bytes, shared by every request.
      const pool = bytes && bytes.byteLength > 0 ? decodePool(bytes) : undefined;
      this.stats.poolLoads++;
      this.heldPool = { version: read.head.version, pool, checkedAt };
    } catch (error) {
      this.stats.storeFailures++;
      console.warn("hot pool read failed", error instanceof Error ? error.message : String(error));
    }
  }
}

/** One layer per region per isolate: its memory tier outlives requests. */
const layers = new Map<string, TieredHotLayer>();

/** The isolate's hot layer for the bindings' region (built on first use, then reused). */
export function hotLayer(env: EdgeBindings): TieredHotLayer {
  const region = edgeConfig(env).region;
  let layer = layers.get(region);
  if (!layer) {
    layer = new TieredHotLayer(env, region, hotConfig(env), Date.now);
    layers.set(region, layer);
  }
  // Bindings objects can differ between requests; the latest one is used for the next store call.
  layer.env = env;
  return layer;
}

/** A separate layer with its own memory tier (tests, benchmarks): same tiers, settings overridable. */
export function createHotLayer(
  env: EdgeBindings,
  options: HotLayerOptions = {},
): HotLayer & { readonly stats: HotLayerStats } {
  const config = { ...hotConfig(env), ...options.config };
  return new TieredHotLayer(env, edgeConfig(env).region, config, options.now ?? Date.now);
}
