import { rememberNewest } from "./remember-newest.js";

/**
 * A record's expiry needs moving on at most every 1% of its TTL, not on every
 * write: each move rewrites the store's expiry index (on LMDB two extra
 * b-tree writes per record, the dearest part of a small user×category
 * write). This remembers when this process last sent each record's TTL, so
 * a record expires between 99% and 100% of its TTL after its last write.
 * A record written with its TTL less than 1% of that TTL ago cannot have
 * expired, so a write that skips the TTL never creates a record without one.
 */
export class TtlRefreshes {
  /** `<set>/<key>` -> epoch ms of the write that last sent its TTL. */
  private readonly sentAt = new Map<string, number>();

  /** 200k records is a few MB; beyond it the oldest go (and simply get their TTL sent again). */
  constructor(private readonly maxEntries = 200_000) {}

  /** Whether a write at `now` must send `ttlSeconds` (1% of it in ms = ttlSeconds * 10). */
  due(recordId: string, ttlSeconds: number, now: number): boolean {
    const last = this.sentAt.get(recordId);
    return last === undefined || now < last || now - last >= ttlSeconds * 10;
  }

  /** A write that sent the TTL succeeded (only then: a failed first write created nothing). */
  sent(recordId: string, now: number): void {
    rememberNewest(this.sentAt, recordId, now, this.maxEntries);
  }
}
