import type { HotKind, HotWireEntry } from "#shared/hot/hot-contract";
import { decodePool, type RetrievalPool } from "#shared/retrieval/pool-codec";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";
import { type HotConfig, hotConfig } from "./hot-config.js";
import type { StoredHotEntry } from "./hot-tables.js";
import { approximateBytes, MemoryTier } from "./memory-tier.js";
import {
  GAVE_UP,
  joinable,
  type SharedLoad,
  startSharedLoad,
  waitForShared,
} from "./shared-load.js";

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
/**
 * Per-call options. `waitUntil` (the request's `ctx.waitUntil`) keeps a load
 * this call starts alive past the request's answer, so other requests waiting
 * on the same load get it. Without it a shared load is still safe: nobody
 * waits on it past its bound (`shared-load.ts`).
 */
export interface HotReadOptions {
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface HotLayer {
  /** Entries found; ids the origin does not know (or could not answer in time) are absent from the map. */
  getMany(kind: HotKind, ids: string[], options?: HotReadOptions): Promise<Map<string, HotEntry>>;
  get(kind: HotKind, id: string, options?: HotReadOptions): Promise<HotEntry | undefined>;
  /**
   * The entry isolate memory holds for `id` while it is fresh, without
   * waiting: `null` = fresh and known absent, `undefined` = not fresh in
   * memory (call `get`). Lets a request that needs nothing else skip the
   * read's promise chain and its deadline timer (the cache-hit path).
   */
  peek(kind: HotKind, id: string): HotEntry | null | undefined;
  /**
   * Whatever isolate memory holds for `id`, however old (`undefined`:
   * nothing, or known absent). The last resort of a request out of time:
   * an old list beats none, at once.
   */
  held(kind: HotKind, id: string): HotEntry | undefined;
  /**
   * The region's retrieval pool, decoded once per version per isolate. Once
   * one is held it is answered at once; its version is re-checked in the
   * background past the memory tier's staleness.
   */
  pool(options?: HotReadOptions): Promise<RetrievalPool | undefined>;
  /**
   * The pool with the value of its `poolOverlay` entry (the stock, category
   * and brand of items written since it was built, within the freshness
   * bound like any entry): what edge retrieval filters on.
   */
  poolWithOverlay(options?: HotReadOptions): Promise<PoolWithOverlay>;
}

/** A pool and its `poolOverlay` entry (`undefined`: no pool, or no overlay held yet). */
export interface PoolWithOverlay {
  pool: RetrievalPool | undefined;
  overlay: HotEntry | undefined;
}

/** Counters for tests and Server-Timing: which tier answered. */
export interface HotLayerStats {
  memoryHits: number;
  /** RPCs to the region store for entries (one per `getMany` that missed memory and found no read to join). */
  storeReads: number;
  /** `getMany` calls that waited on another call's store read instead of making their own. */
  joinedReads: number;
  storeFailures: number;
  /** RPCs to the region store for the pool (first load and version checks). */
  poolChecks: number;
  /** Pool decodes: one per version this isolate took in. */
  poolLoads: number;
  /** Shared loads (entries or pool) that did not settle within their bound and were loaded again. */
  abandonedLoads: number;
}

/** `null` entry = known absent at the origin (cached too, so a miss does not hit the store every time). */
interface Held {
  entry: HotEntry | null;
}

/** A store read's answer per id, or `undefined` when the store could not be reached. */
type EntryLoad = SharedLoad<Map<string, Held> | undefined>;

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
  readonly stats: HotLayerStats = {
    memoryHits: 0,
    storeReads: 0,
    joinedReads: 0,
    storeFailures: 0,
    poolChecks: 0,
    poolLoads: 0,
    abandonedLoads: 0,
  };
  private readonly memory: MemoryTier<Held>;
  private readonly now: () => number;
  /** In-flight store reads by memory key: a concurrent miss for the same id joins instead of reading again. */
  private readonly entryLoads = new Map<string, EntryLoad>();
  private heldPool: {
    version: number;
    pool: RetrievalPool | undefined;
    checkedAt: number;
    /** Start order of the load that supplied it: a late, older load never replaces a newer answer. */
    loadSeq: number;
  } | null = null;
  private poolLoad: SharedLoad<void> | null = null;
  private poolLoadSeq = 0;

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

  async getMany(
    kind: HotKind,
    ids: string[],
    options: HotReadOptions = {},
  ): Promise<Map<string, HotEntry>> {
    const out = new Map<string, HotEntry>();
    const now = this.now();
    const wanted = new Set<string>();
    const expired = new Map<string, Held>();
    for (const id of ids) {
      const slot = this.memory.get(memoryKey(kind, id));
      if (slot && now - slot.fetchedAt <= this.config.memoryStaleMs) {
        this.stats.memoryHits++;
        if (slot.value.entry) out.set(id, slot.value.entry);
        continue;
      }
      if (slot) expired.set(id, slot.value);
      wanted.add(id);
    }
    if (wanted.size === 0) return out;
    const found = await this.readThrough(kind, [...wanted], options);
    for (const id of wanted) {
      // Ids the store could not supply in time: the isolate's older copy beats nothing.
      const held = found.get(id) ?? expired.get(id);
      if (held?.entry) out.set(id, held.entry);
    }
    return out;
  }

  /**
   * Reads `ids` from the region store, joining reads already in flight for
   * any of them. A joined read that is not back by its bound (its request may
   * have ended and taken it along) is given up, and those ids are read once
   * more by this call itself.
   */
  private async readThrough(
    kind: HotKind,
    ids: string[],
    options: HotReadOptions,
  ): Promise<Map<string, Held>> {
    const found = new Map<string, Held>();
    let pending = ids;
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      const late: string[] = [];
      await Promise.all(
        [...this.entryLoadsFor(kind, pending, options)].map(async ([load, loadIds]) => {
          const result = await waitForShared(load);
          if (result === GAVE_UP) {
            this.abandonEntryLoad(kind, loadIds, load);
            late.push(...loadIds);
            return;
          }
          for (const id of loadIds) {
            const held = result?.get(id);
            if (held) found.set(id, held);
          }
        }),
      );
      pending = late;
    }
    return found;
  }

  /** Groups `ids` by the store read that will answer them: joined ones, plus one new read for the rest. */
  private entryLoadsFor(
    kind: HotKind,
    ids: string[],
    options: HotReadOptions,
  ): Map<EntryLoad, string[]> {
    const byLoad = new Map<EntryLoad, string[]>();
    const dead = new Map<EntryLoad, string[]>();
    const fresh: string[] = [];
    for (const id of ids) {
      const load = this.entryLoads.get(memoryKey(kind, id));
      if (!load) {
        fresh.push(id);
        continue;
      }
      const groups = joinable(load) ? byLoad : dead;
      const group = groups.get(load);
      if (group) group.push(id);
      else {
        groups.set(load, [id]);
        if (groups === byLoad) this.stats.joinedReads++;
      }
    }
    for (const [load, loadIds] of dead) {
      this.abandonEntryLoad(kind, loadIds, load);
      fresh.push(...loadIds);
    }
    if (fresh.length > 0) byLoad.set(this.startEntryLoad(kind, fresh, options), fresh);
    return byLoad;
  }

  private startEntryLoad(kind: HotKind, ids: string[], options: HotReadOptions): EntryLoad {
    this.stats.storeReads++;
    const load = startSharedLoad(
      this.readStore(kind, ids).finally(() => {
        for (const id of ids) {
          const key = memoryKey(kind, id);
          if (this.entryLoads.get(key) === load) this.entryLoads.delete(key);
        }
      }),
      this.config.pullWaitMs,
      options.waitUntil,
    );
    for (const id of ids) this.entryLoads.set(memoryKey(kind, id), load);
    return load;
  }

  private abandonEntryLoad(kind: HotKind, ids: readonly string[], load: EntryLoad): void {
    let removed = false;
    for (const id of ids) {
      const key = memoryKey(kind, id);
      if (this.entryLoads.get(key) !== load) continue;
      this.entryLoads.delete(key);
      removed = true;
    }
    if (removed) {
      this.stats.abandonedLoads++;
      console.warn("hot store read given up: it did not settle within its bound", kind);
    }
  }

  /** One RPC to the region store; its answers also go into the memory tier. */
  private async readStore(kind: HotKind, ids: string[]): Promise<Map<string, Held> | undefined> {
    let stored: StoredHotEntry[];
    try {
      stored = await this.store().getMany(kind, ids, { waitMs: this.config.pullWaitMs });
    } catch (error) {
      // The region store being unreachable degrades to the isolate's last copies.
      this.stats.storeFailures++;
      console.warn("hot store read failed", error instanceof Error ? error.message : String(error));
      return undefined;
    }
    const fetchedAt = this.now();
    const answered = new Map<string, Held>();
    for (const row of stored) {
      const value = JSON.parse(row.valueJson) as unknown;
      const known = value !== null || kind === "model";
      const held = {
        entry: known ? { value, version: row.version, updatedAt: row.updatedAt } : null,
      };
      this.memory.set(
        memoryKey(kind, row.id),
        held,
        row.valueJson.length * 2 + approximateBytes(row.id),
        fetchedAt,
      );
      answered.set(row.id, held);
    }
    return answered;
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

  peek(kind: HotKind, id: string): HotEntry | null | undefined {
    const slot = this.memory.get(memoryKey(kind, id));
    if (!slot || this.now() - slot.fetchedAt > this.config.memoryStaleMs) return undefined;
    this.stats.memoryHits++;
    return slot.value.entry;
  }

  held(kind: HotKind, id: string): HotEntry | undefined {
    return this.memory.get(memoryKey(kind, id))?.value.entry ?? undefined;
  }

  async get(kind: HotKind, id: string, options?: HotReadOptions): Promise<HotEntry | undefined> {
    return (await this.getMany(kind, [id], options)).get(id);
  }

  async poolWithOverlay(options: HotReadOptions = {}): Promise<PoolWithOverlay> {
    await this.pool(options);
    // The held pair, read at once: the overlay asked for is the one of this very pool.
    const held = this.heldPool;
    if (!held?.pool) return { pool: undefined, overlay: undefined };
    const overlay = await this.get("poolOverlay", String(held.version), options);
    return { pool: held.pool, overlay };
  }

  /** Version of the pool this isolate holds (operators, tests); null before the first load. */
  get poolVersion(): number | null {
    return this.heldPool?.version ?? null;
  }

  async pool(options: HotReadOptions = {}): Promise<RetrievalPool | undefined> {
    const held = this.heldPool;
    if (held) {
      // Never make a request wait for a version check: the pool follows item writes within
      // HOT_POOL_REBUILD_MS (30 s) anyway, one more second of the held one changes nothing.
      if (this.now() - held.checkedAt > this.config.memoryStaleMs) this.sharedPoolLoad(options);
      return held.pool;
    }
    // A cold isolate: wait for the first load, loading again (once) if a shared one was given up.
    for (let attempt = 0; attempt < 2 && !this.heldPool; attempt++) {
      const load = this.sharedPoolLoad(options);
      if ((await waitForShared(load)) !== GAVE_UP) break;
      this.abandonPoolLoad(load);
    }
    return this.heldPool?.pool;
  }

  /** Waits for every load in flight (tests: a background version check has landed). */
  async settled(): Promise<void> {
    await Promise.all([
      this.poolLoad?.result,
      ...[...this.entryLoads.values()].map((l) => l.result),
    ]);
  }

  /** The pool load in flight if it may still be joined, else a new one started by this call. */
  private sharedPoolLoad(options: HotReadOptions): SharedLoad<void> {
    const current = this.poolLoad;
    if (current && joinable(current)) return current;
    if (current) this.abandonPoolLoad(current);
    const seq = ++this.poolLoadSeq;
    const load: SharedLoad<void> = startSharedLoad(
      this.loadPool(seq).finally(() => {
        if (this.poolLoad === load) this.poolLoad = null;
      }),
      this.config.pullWaitMs,
      options.waitUntil,
    );
    this.poolLoad = load;
    return load;
  }

  private abandonPoolLoad(load: SharedLoad<void>): void {
    if (this.poolLoad !== load) return;
    this.poolLoad = null;
    this.stats.abandonedLoads++;
    console.warn("hot pool load given up: it did not settle within its bound");
  }

  private async loadPool(seq: number): Promise<void> {
    const held = this.heldPool;
    try {
      this.stats.poolChecks++;
      const read = await this.store().pool(held?.version ?? null, {
        waitMs: this.config.pullWaitMs,
      });
      const checkedAt = this.now();
      const current = this.heldPool;
      // A load started before the one that supplied the held pool knows nothing newer.
      if (current && current.loadSeq > seq) return;
      if (!read) {
        this.keepHeldPoolFor(checkedAt);
        return;
      }
      if (current && read.head.version === current.version) {
        // Same version (unchanged, or bytes another load already decoded): keep the decoded pool.
        current.checkedAt = checkedAt;
        current.loadSeq = seq;
        return;
      }
      const bytes = read.bytes;
      if (bytes === null) return; // the held version changed under this load; the next check fetches it
      // Decoded once per version: typed-array views over the bytes, shared by every request.
      const pool = bytes.byteLength > 0 ? decodePool(bytes) : undefined;
      this.stats.poolLoads++;
      this.heldPool = { version: read.head.version, pool, checkedAt, loadSeq: seq };
    } catch (error) {
      this.stats.storeFailures++;
      console.warn("hot pool read failed", error instanceof Error ? error.message : String(error));
      this.keepHeldPoolFor(this.now());
    }
  }

  /**
   * The store has no pool or could not be read: the held one (if any) stays
   * and is checked again one staleness period later, not by every request.
   */
  private keepHeldPoolFor(checkedAt: number): void {
    if (this.heldPool) this.heldPool.checkedAt = checkedAt;
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
export function createHotLayer(env: EdgeBindings, options: HotLayerOptions = {}): TieredHotLayer {
  const config = { ...hotConfig(env), ...options.config };
  return new TieredHotLayer(env, edgeConfig(env).region, config, options.now ?? Date.now);
}
