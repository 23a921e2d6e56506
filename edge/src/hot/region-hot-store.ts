import { DurableObject } from "cloudflare:workers";
import {
  type HotKind,
  type HotPoolHead,
  type HotWireEntry,
  MAX_HOT_IDS_PER_PULL,
} from "#shared/hot/hot-contract";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";
import { type HotConfig, hotConfig } from "./hot-config.js";
import { HotTables, type StoredHotEntry, type StoredPoolHead } from "./hot-tables.js";
import { type OriginTarget, pullEntries, pullPool } from "./origin-pull.js";
import { waitAtMost } from "./wait-at-most.js";

/**
 * Entries nobody read (so nothing re-pulled) for a day are dropped: the store
 * holds the region's working set, not every user ever seen. A later read
 * pulls them again.
 */
const RETENTION_MS = 24 * 60 * 60 * 1000;
/** How often the prune alarm runs while entries are held. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** After a failed pull the origin is left alone this long, so an outage costs one attempt per second, not one per read. */
const ORIGIN_RETRY_AFTER_MS = 1_000;

export interface HotReadOptions {
  /** How long this read may wait for the origin on a miss or an over-age entry (the pull goes on regardless). */
  waitMs?: number;
}

export interface HotPoolRead {
  head: StoredPoolHead;
  /** Only when the caller does not already hold `head.version`. */
  bytes: Uint8Array | null;
}

/**
 * The region's replicated hot layer: one instance per region
 * (`idFromName(region)`), SQLite storage. Holds what the origin published or
 * what a miss pulled, and keeps it within the freshness bound: an entry last
 * confirmed more than `storeMaxAgeMs` ago is pulled again before it is
 * served, and one past half of that is refreshed in the background, so hot
 * keys never wait. When the origin is down, what is held is served (stale)
 * and nothing throws. Pulls for the same id share one origin request.
 */
export class RegionHotStore extends DurableObject<EdgeBindings> {
  private readonly tables: HotTables;
  private readonly inFlight = new Map<string, Promise<void>>();
  private poolPull: Promise<void> | null = null;
  private originDownUntil = 0;
  private pruneArmed = false;
  /** Origin requests made (entry pulls and pool pulls): tests and debugging. */
  private readonly counters = { entryPulls: 0, poolPulls: 0, pullFailures: 0 };

  constructor(ctx: DurableObjectState, env: EdgeBindings) {
    super(ctx, env);
    this.tables = new HotTables(ctx.storage);
  }

  /** Entries for `ids` (known-absent ones carry `"null"`); ids the origin could not supply in time are left out. */
  async getMany(
    kind: HotKind,
    ids: string[],
    options: HotReadOptions = {},
  ): Promise<StoredHotEntry[]> {
    const config = hotConfig(this.env);
    const now = Date.now();
    let held = this.tables.read(kind, ids);
    const mustPull: string[] = [];
    const mayRefresh: string[] = [];
    for (const id of ids) {
      const entry = held.get(id);
      const age = entry ? now - entry.storedAt : Number.POSITIVE_INFINITY;
      if (age > config.storeMaxAgeMs) mustPull.push(id);
      else if (age > config.storeMaxAgeMs / 2) mayRefresh.push(id);
    }
    if (mayRefresh.length > 0) void this.pull(kind, mayRefresh, config);
    if (mustPull.length > 0) {
      const pulled = this.pull(kind, mustPull, config);
      await waitAtMost(pulled, options.waitMs ?? config.pullWaitMs);
      held = new Map([...held, ...this.tables.read(kind, mustPull)]);
    }
    const out: StoredHotEntry[] = [];
    for (const id of ids) {
      const entry = held.get(id);
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Writes published or pulled entries; older observations than the stored ones are ignored. */
  async putMany(entries: HotWireEntry[]): Promise<number> {
    const applied = this.tables.write(entries, Date.now());
    await this.schedulePrune();
    return applied;
  }

  /** Drops entries past the retention; re-arms itself while anything is held. */
  override async alarm(): Promise<void> {
    const dropped = this.tables.prune(Date.now() - RETENTION_MS);
    if (dropped > 0) console.info("hot store pruned", dropped);
    this.pruneArmed = false;
    if (this.tables.hasEntries()) await this.schedulePrune();
  }

  private async schedulePrune(): Promise<void> {
    if (this.pruneArmed) return;
    this.pruneArmed = true;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + PRUNE_EVERY_MS);
    }
  }

  /**
   * The pool's head, and its bytes unless the caller already holds that
   * version. Pulls the pool first when none is held or the held one is past
   * the bound (a conditional pull: a few bytes when nothing changed).
   */
  async pool(
    haveVersion: number | null,
    options: HotReadOptions = {},
  ): Promise<HotPoolRead | null> {
    const config = hotConfig(this.env);
    let head = this.tables.poolHead();
    const age = head ? Date.now() - head.storedAt : Number.POSITIVE_INFINITY;
    if (age > config.storeMaxAgeMs) {
      const pulled = this.refreshPool(config);
      await waitAtMost(pulled, options.waitMs ?? config.pullWaitMs);
      head = this.tables.poolHead();
    } else if (age > config.storeMaxAgeMs / 2) {
      void this.refreshPool(config);
    }
    if (!head) return null;
    return { head, bytes: head.version === haveVersion ? null : this.tables.readPool() };
  }

  /** The origin announced a new pool: fetch it now (awaited by the publish, off the shopper's path). */
  async poolChanged(head: HotPoolHead): Promise<number | null> {
    const held = this.tables.poolHead();
    if (held?.version !== head.version) await this.refreshPool(hotConfig(this.env), true);
    return this.tables.poolHead()?.version ?? null;
  }

  /** How often this store went to the origin since it started (tests, debugging). */
  async stats(): Promise<{ entryPulls: number; poolPulls: number; pullFailures: number }> {
    return { ...this.counters };
  }

  private target(config: HotConfig): OriginTarget {
    const edge = edgeConfig(this.env);
    return {
      originUrl: edge.originUrl,
      signingSecret: edge.signingSecret,
      region: edge.region,
      timeoutMs: config.pullTimeoutMs,
    };
  }

  /** Pulls ids not already being pulled; resolves when every id asked for has settled. */
  private pull(kind: HotKind, ids: readonly string[], config: HotConfig): Promise<void> {
    const waits: Promise<void>[] = [];
    const fresh: string[] = [];
    for (const id of ids) {
      const pending = this.inFlight.get(`${kind}\u0000${id}`);
      if (pending) waits.push(pending);
      else fresh.push(id);
    }
    if (fresh.length > 0 && Date.now() >= this.originDownUntil) {
      for (let i = 0; i < fresh.length; i += MAX_HOT_IDS_PER_PULL) {
        const slice = fresh.slice(i, i + MAX_HOT_IDS_PER_PULL);
        this.counters.entryPulls++;
        const request = pullEntries(this.target(config), kind, slice)
          .then(async (entries) => {
            this.tables.write(entries, Date.now());
            await this.schedulePrune();
          })
          .catch((error: unknown) => {
            // Serve what is held: an unreachable origin is a degraded region, not an error.
            this.counters.pullFailures++;
            this.originDownUntil = Date.now() + ORIGIN_RETRY_AFTER_MS;
            console.warn("hot pull failed", error instanceof Error ? error.message : String(error));
          })
          .finally(() => {
            for (const id of slice) this.inFlight.delete(`${kind}\u0000${id}`);
          });
        for (const id of slice) this.inFlight.set(`${kind}\u0000${id}`, request);
        waits.push(request);
      }
    }
    return Promise.all(waits).then(() => undefined);
  }

  private refreshPool(config: HotConfig, force = false): Promise<void> {
    if (this.poolPull) return this.poolPull;
    if (!force && Date.now() < this.originDownUntil) return Promise.resolve();
    const held = this.tables.poolHead();
    this.counters.poolPulls++;
    this.poolPull = pullPool(this.target(config), held?.version)
      .then((answer) => {
        if ("unchanged" in answer) this.tables.confirmPool(Date.now());
        else this.tables.writePool(answer.head, answer.bytes, Date.now());
      })
      .catch((error: unknown) => {
        this.counters.pullFailures++;
        this.originDownUntil = Date.now() + ORIGIN_RETRY_AFTER_MS;
        console.warn(
          "hot pool pull failed",
          error instanceof Error ? error.message : String(error),
        );
      })
      .finally(() => {
        this.poolPull = null;
      });
    return this.poolPull;
  }
}
