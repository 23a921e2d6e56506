import type { HotKind } from "#shared/hot/hot-contract";
import type { Logger } from "../logger.js";
import { EdgeChannel } from "./edge-channel.js";
import type { EdgeTarget } from "./edge-targets.js";
import { type HotSource, readHotEntries } from "./hot-values.js";
import type { RetrievalPoolSource } from "./retrieval-pool.js";

export interface HotPublisherOptions {
  source: HotSource;
  pool: RetrievalPoolSource;
  targets: readonly EdgeTarget[];
  secret: string;
  logger: Logger;
  /** How often trending, co-visitation of the trending items and the pool are re-published. */
  refreshMs: number;
  /** Most changes queued per edge (see `EdgeChannel`). */
  queueMax: number;
}

/**
 * Pushes hot-layer changes to every configured edge (`EDGE_PUBLISH_URLS`):
 * writers call `changed` (never blocks: it only queues), and a timer
 * re-publishes what the stream keeps changing (each edge's regional
 * trending and the co-visitation of its trending items) and the retrieval
 * pool when it was rebuilt. Lost publishes are harmless for correctness:
 * each edge's region store re-pulls anything older than the freshness bound.
 */
export class HotPublisher {
  private readonly channels: EdgeChannel[];
  private timer: ReturnType<typeof setInterval> | null = null;
  private refreshing = false;

  constructor(private readonly options: HotPublisherOptions) {
    this.channels = options.targets.map(
      (target) =>
        new EdgeChannel({
          target,
          secret: options.secret,
          logger: options.logger,
          queueMax: options.queueMax,
          read: (region, kind, ids) => readHotEntries(options.source, region, kind, ids),
        }),
    );
  }

  /**
   * Queues a change for every edge; returns at once. Item writes also send
   * the current pool's overlay (the items' stock, category and brand for the
   * edge's filters); the caller has put them in the pool's change log.
   */
  changed(kind: HotKind, ids: readonly string[]): void {
    if (ids.length === 0) return;
    const overlay = kind === "item" ? this.options.pool.currentVersion : 0;
    for (const channel of this.channels) {
      channel.enqueue(kind, ids);
      if (overlay !== 0) channel.enqueue("poolOverlay", [String(overlay)]);
    }
  }

  /** Starts the periodic refresh (and runs one now, so edges get the pool head early). */
  start(): void {
    if (this.channels.length === 0 || this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  /** One refresh: trending and its items' co-visitation per edge region, and the pool head. */
  async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const regions = [...new Set(this.channels.map((c) => c.target.region))];
      const trending = await Promise.all(
        regions.map(async (region) => {
          const [entry] = await readHotEntries(this.options.source, region, "trending", [region]);
          const items = (entry?.value as { items?: string[] } | null)?.items ?? [];
          return [region, items] as const;
        }),
      );
      const itemsByRegion = new Map(trending);
      for (const channel of this.channels) {
        const region = channel.target.region;
        channel.enqueue("trending", [region]);
        const items = itemsByRegion.get(region) ?? [];
        if (items.length > 0) channel.enqueue("covisit", items);
      }
      const pool = await this.options.pool.get();
      for (const channel of this.channels) channel.poolChanged(pool.head);
    } catch (error) {
      this.options.logger.warn({ err: error }, "hot refresh failed; next tick retries");
    } finally {
      this.refreshing = false;
    }
  }

  /** Resolves when every edge's queue is empty (tests). */
  async idle(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.idle()));
  }

  stats(): { edge: string; sent: number; dropped: number }[] {
    return this.channels.map((c) => ({ edge: c.target.url, sent: c.sent, dropped: c.dropped }));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const channel of this.channels) channel.stop();
  }
}
