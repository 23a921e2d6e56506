import type { HotPoolHead } from "#shared/hot/hot-contract";
import { MAX_POOL_OVERLAY_ITEMS } from "#shared/hot/pool-overlay";
import { encodePool, type PoolItemMeta } from "#shared/retrieval/pool-codec";
import type { RecordKeys } from "../catalog/record-keys.js";
import { generateDemoData } from "../seed/demo-data.js";
import type { HotSource } from "./hot-values.js";

/** The item features the pool is built from (the demo catalog's names). */
const EMBEDDING = "embedding";
const META_FEATURES = ["category", "brand", "in_stock"] as const;
/** Keys per feature read: the feature server's own bound per group. */
const KEYS_PER_READ = 1_000;
/**
 * Pool versions whose build time is kept, so an edge still on one of them
 * gets its overlay: at one rebuild per HOT_POOL_REBUILD_MS (30 s) that is
 * minutes, while an edge moves to a new pool within seconds.
 */
const REMEMBERED_VERSIONS = 8;

export interface BuiltPool {
  head: HotPoolHead;
  bytes: Uint8Array<ArrayBuffer>;
}

const EMPTY: BuiltPool = { head: { version: 0, updatedAt: 0, bytes: 0 }, bytes: new Uint8Array() };

/** FNV-1a over the bytes: the version is the content, so restarts and other processes agree on it. */
function contentVersion(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0 || 1;
}

/**
 * The edge retrieval pool as the origin builds it: every known item's
 * `embedding` with its category, brand and stock, encoded with the shared
 * pool codec (int8). Built lazily and at most once per `minRebuildMs` after
 * an item changed, since a rebuild reads every item. Which items: the store
 * has no item index the pool could scan (feature sets are never scanned), so
 * the pool holds the demo catalog's ids when the demo data is seeded, plus
 * every item written through this process's admin API since it started.
 */
export class RetrievalPoolSource {
  private current: BuiltPool | null = null;
  private building: Promise<BuiltPool> | null = null;
  private dirty = true;
  private builtAt = 0;
  private readonly extraIds = new Set<string>();
  private demoIds: string[] | null = null;
  /** Each changed item's last change (epoch ms): what overlays are cut from. */
  private readonly changedAt = new Map<string, number>();
  /**
   * The same changes in time order, walked from the newest back to a pool's
   * build start (a Map cannot be walked backwards without copying it).
   * Entries a later change of the same item superseded are skipped, and
   * dropped when the log is pruned.
   */
  private changeLog: { id: string; at: number }[] = [];
  /** Build start per remembered pool version: that pool holds every change before it. */
  private readonly builtFrom = new Map<number, number>();
  /** Distinct items changed since the last build started (an early rebuild past the overlay cap). */
  private changedSinceBuild = new Set<string>();

  constructor(
    private readonly source: HotSource & { keys: RecordKeys },
    private readonly minRebuildMs: number,
  ) {}

  /**
   * Items changed (call after the write is durable): the next `get` after
   * `minRebuildMs` rebuilds, and until then they are in the overlays.
   */
  itemsChanged(ids: readonly string[]): void {
    const now = Date.now();
    for (const id of ids) {
      this.extraIds.add(id);
      this.changedAt.set(id, now);
      this.changeLog.push({ id, at: now });
      this.changedSinceBuild.add(id);
    }
    this.dirty = true;
  }

  /** Version of the pool built last (0 = none yet or empty): the overlay edges holding it ask for. */
  get currentVersion(): number {
    return this.current?.head.version ?? 0;
  }

  /**
   * Items changed since pool `version` began building, newest first, with
   * the newest change's time. A version this process does not remember (too
   * old, or built before a restart) gets every change still held: applying
   * current facts over any pool is correct, only larger.
   */
  changedSince(version: number): { ids: string[]; lastChangeAt: number } {
    const since = this.builtFrom.get(version) ?? Number.NEGATIVE_INFINITY;
    const ids: string[] = [];
    const seen = new Set<string>();
    let lastChangeAt = 0;
    for (let i = this.changeLog.length - 1; i >= 0; i--) {
      const { id, at } = this.changeLog[i] as { id: string; at: number };
      // A change recorded at the build's start may have missed its reads: included.
      if (at < since) break;
      if (seen.has(id) || this.changedAt.get(id) !== at) continue;
      seen.add(id);
      lastChangeAt = Math.max(lastChangeAt, at);
      ids.push(id);
    }
    return { ids, lastChangeAt };
  }

  /**
   * The current pool, rebuilt first if an item changed and the last build is
   * old enough, or sooner when more items changed than one overlay carries.
   */
  async get(): Promise<BuiltPool> {
    const due =
      this.dirty &&
      (Date.now() - this.builtAt >= this.minRebuildMs ||
        this.changedSinceBuild.size > MAX_POOL_OVERLAY_ITEMS);
    if (this.current && !due) return this.current;
    this.building ??= this.build().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  private async itemIds(): Promise<string[]> {
    if (this.demoIds === null) {
      const marker = await this.source.store.get(this.source.keys.meta("demo-seed"));
      this.demoIds = marker ? generateDemoData().items.map((item) => item.id) : [];
    }
    return [...new Set([...this.demoIds, ...this.extraIds])].sort();
  }

  private async build(): Promise<BuiltPool> {
    this.dirty = false;
    this.changedSinceBuild = new Set();
    const started = Date.now();
    const snapshot = this.source.features.registry.snapshot();
    const item = snapshot.entities.get("item");
    const embedding = item?.features.get(EMBEDDING);
    const dim = embedding?.def.type === "vector" ? embedding.def.dim : undefined;
    if (!item || dim === undefined) {
      this.current = EMPTY;
      this.builtAt = started;
      return EMPTY;
    }
    const metaNames = META_FEATURES.filter((name) => item.features.has(name));
    const ids: string[] = [];
    const vectors: number[] = [];
    const meta: PoolItemMeta[] = [];
    const all = await this.itemIds();
    for (let i = 0; i < all.length; i += KEYS_PER_READ) {
      const keys = all.slice(i, i + KEYS_PER_READ);
      const [group] = await this.source.features.server.get([
        { entity: "item", keys, features: [EMBEDDING, ...metaNames] },
      ]);
      for (const row of group?.rows ?? []) {
        const vector = row.values[0];
        if (!(vector instanceof Float32Array) || vector.length !== dim) continue;
        if (row.status[0] !== "present") continue;
        ids.push(row.key);
        for (const v of vector) vectors.push(v);
        const facts: Record<string, unknown> = {};
        metaNames.forEach((name, f) => {
          if (row.status[f + 1] === "present") facts[name] = row.values[f + 1];
        });
        meta.push({
          category: typeof facts.category === "string" ? facts.category : undefined,
          brand: typeof facts.brand === "string" ? facts.brand : undefined,
          inStock: typeof facts.in_stock === "boolean" ? facts.in_stock : undefined,
        });
      }
    }
    const bytes =
      ids.length === 0
        ? new Uint8Array()
        : // encodePool allocates a plain ArrayBuffer (never shared): the cast only narrows the type.
          (encodePool({
            ids,
            dim,
            vectors: Float32Array.from(vectors),
            meta,
          }) as Uint8Array<ArrayBuffer>);
    const version = bytes.byteLength === 0 ? 0 : contentVersion(bytes);
    // A rebuild with the same content keeps its head, so edges see "unchanged".
    if (this.current?.head.version !== version) {
      this.current = { head: { version, updatedAt: started, bytes: bytes.byteLength }, bytes };
    }
    this.builtAt = started;
    this.rememberBuild(version, started);
    return this.current ?? EMPTY;
  }

  /** Keeps `version`'s build start (same content again: the later start) and forgets older changes. */
  private rememberBuild(version: number, started: number): void {
    if (version === 0) return;
    this.builtFrom.delete(version);
    this.builtFrom.set(version, started);
    for (const old of this.builtFrom.keys()) {
      if (this.builtFrom.size <= REMEMBERED_VERSIONS) break;
      this.builtFrom.delete(old);
    }
    // Changes before every remembered build are in all of them: no overlay needs them.
    const oldest = Math.min(...this.builtFrom.values());
    const kept = this.changeLog.filter(({ id, at }) => {
      const latest = this.changedAt.get(id) === at;
      if (at >= oldest) return latest;
      if (latest) this.changedAt.delete(id);
      return false;
    });
    this.changeLog = kept;
  }
}
