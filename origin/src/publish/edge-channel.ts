import {
  type HotKind,
  type HotPoolHead,
  type HotPublishRequest,
  type HotWireEntry,
  MAX_HOT_ENTRIES_PER_PUBLISH,
} from "#shared/hot/hot-contract";
import { signRequest } from "#shared/security/request-signing";
import type { Logger } from "../logger.js";
import type { EdgeTarget } from "./edge-targets.js";

/** First retry after a failed publish; doubles per failure up to the cap. */
const FIRST_RETRY_MS = 100;
/**
 * A down edge is retried at least every second: one small POST per second
 * costs nothing, and changes queued meanwhile reach it soon after it is back
 * (well inside the 5 s bound; its region store re-pulls on its own anyway).
 */
const MAX_RETRY_MS = 1_000;
/** One publish (or pool fetch at the edge, which the publish awaits) gets this long. */
const PUBLISH_TIMEOUT_MS = 10_000;

const PUBLISH_PATH = "/internal/hot/publish";

export interface ChannelDeps {
  target: EdgeTarget;
  secret: string;
  logger: Logger;
  /** Most (kind, id) changes waiting per edge; beyond it the oldest are dropped (the edge's re-pull covers them). */
  queueMax: number;
  /** Reads the current values for the queued ids (at send time, so a retry carries the newest). */
  read(region: string, kind: HotKind, ids: string[]): Promise<HotWireEntry[]>;
}

/**
 * The publish queue of one edge: changed ids wait here (deduplicated,
 * bounded), one send at a time carries the current values, failures retry
 * with doubling back-off. `enqueue` never waits: writers are never blocked
 * by a slow or absent edge.
 */
export class EdgeChannel {
  private readonly pending = new Map<string, { kind: HotKind; id: string }>();
  private poolHead: HotPoolHead | null = null;
  /** The last pool version the edge confirmed holding. */
  private publishedPoolVersion: number | null = null;
  private sending: Promise<void> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryMs = FIRST_RETRY_MS;
  /** Consecutive failed sends (the current outage). */
  private failures = 0;
  private stopped = false;
  dropped = 0;
  sent = 0;

  constructor(private readonly deps: ChannelDeps) {}

  get target(): EdgeTarget {
    return this.deps.target;
  }

  enqueue(kind: HotKind, ids: readonly string[]): void {
    for (const id of ids) {
      const key = `${kind}\u0000${id}`;
      this.pending.delete(key);
      this.pending.set(key, { kind, id });
    }
    while (this.pending.size > this.deps.queueMax) {
      const oldest = this.pending.keys().next().value;
      if (oldest === undefined) break;
      this.pending.delete(oldest);
      this.dropped++;
    }
    this.schedule();
  }

  /** The pool changed: announce its head unless the edge already confirmed this version. */
  poolChanged(head: HotPoolHead): void {
    if (head.version === this.publishedPoolVersion) return;
    this.poolHead = head;
    this.schedule();
  }

  /** Resolves once nothing is queued or being sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.sending || this.retryTimer || this.pending.size > 0 || this.poolHead) {
      if (this.sending) await this.sending;
      else await new Promise((resolve) => setTimeout(resolve, 10));
      if (this.stopped) return;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private schedule(): void {
    if (this.stopped || this.sending || this.retryTimer) return;
    if (this.pending.size === 0 && !this.poolHead) return;
    this.sending = this.sendAll().finally(() => {
      this.sending = null;
    });
  }

  private async sendAll(): Promise<void> {
    // A macrotask first, so writes of one admin call coalesce into one publish.
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (!this.stopped && (this.pending.size > 0 || this.poolHead)) {
      const batch = [...this.pending].slice(0, MAX_HOT_ENTRIES_PER_PUBLISH);
      for (const [key] of batch) this.pending.delete(key);
      const pool = this.poolHead;
      this.poolHead = null;
      try {
        const entries = await this.readBatch(batch.map(([, change]) => change));
        const answer = await this.post({ entries, ...(pool ? { pool } : {}) });
        if (pool) this.publishedPoolVersion = answer.poolVersion ?? null;
        this.sent += entries.length;
        if (this.failures > 0) {
          this.deps.logger.info(
            { edge: this.deps.target.url, failures: this.failures },
            "hot publish recovered",
          );
        }
        this.failures = 0;
        this.retryMs = FIRST_RETRY_MS;
      } catch (error) {
        // Put the batch back behind anything newer (newer changes of the same id win) and retry later.
        for (const [key, change] of batch)
          if (!this.pending.has(key)) this.pending.set(key, change);
        this.poolHead ??= pool;
        // One warning per outage, not one per retry (a dev edge starts seconds after its origin).
        const log = this.failures === 0 ? this.deps.logger.warn : this.deps.logger.debug;
        log.call(
          this.deps.logger,
          { err: error, edge: this.deps.target.url, retryMs: this.retryMs },
          "hot publish failed; retrying",
        );
        this.failures++;
        this.retryLater();
        return;
      }
    }
  }

  private retryLater(): void {
    if (this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.schedule();
    }, delay);
    this.retryTimer.unref();
  }

  private async readBatch(changes: { kind: HotKind; id: string }[]): Promise<HotWireEntry[]> {
    const byKind = new Map<HotKind, string[]>();
    for (const { kind, id } of changes) {
      const ids = byKind.get(kind) ?? [];
      ids.push(id);
      byKind.set(kind, ids);
    }
    const groups = await Promise.all(
      [...byKind].map(([kind, ids]) => this.deps.read(this.deps.target.region, kind, ids)),
    );
    return groups.flat();
  }

  private async post(body: HotPublishRequest): Promise<{ poolVersion: number | null }> {
    const text = JSON.stringify(body);
    const headers = await signRequest({
      method: "POST",
      pathWithQuery: PUBLISH_PATH,
      body: text,
      secret: this.deps.secret,
    });
    const response = await fetch(`${this.deps.target.url}${PUBLISH_PATH}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: text,
      signal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`edge answered ${response.status}`);
    }
    const answer = (await response.json()) as { poolVersion?: unknown };
    return { poolVersion: typeof answer.poolVersion === "number" ? answer.poolVersion : null };
  }
}
