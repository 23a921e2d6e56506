/**
 * Per-key token buckets in isolate memory: each key holds up to `burst`
 * tokens, refilled at `perSecond`; a request takes one. Bounded: past
 * `maxKeys` the least recently seen key is forgotten (it comes back full,
 * which only ever errs towards letting a quiet client through).
 */
export class TokenBucketLimiter {
  // Map order is insertion order: re-inserting on each hit makes the first key the least recent.
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when `key` may go ahead (a token is taken), else whole seconds until it may retry. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key);
    let tokens = this.burst;
    if (bucket) {
      this.buckets.delete(key);
      tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    } else if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.buckets.set(key, { tokens, at: now });
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }
}
