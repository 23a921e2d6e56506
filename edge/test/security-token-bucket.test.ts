import { describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "../src/security/token-bucket.js";

/** A limiter on an injected clock: time moves only when the test says so. */
function limiter(perSecond: number, burst: number, maxKeys = 10_000) {
  const clock = { now: 1_000_000 };
  return { clock, bucket: new TokenBucketLimiter(perSecond, burst, maxKeys, () => clock.now) };
}

describe("token bucket per client (.security)", () => {
  it("lets a burst through, then says how many seconds until the next token", () => {
    const { bucket } = limiter(0.5, 3);
    expect([bucket.take("a"), bucket.take("a"), bucket.take("a")]).toEqual([0, 0, 0]);
    expect(bucket.take("a")).toBe(2); // one token at 0.5/s is 2 s away
  });

  it("refills at the configured rate, never above the burst", () => {
    const { bucket, clock } = limiter(2, 2);
    bucket.take("a");
    bucket.take("a");
    expect(bucket.take("a")).toBe(1);
    clock.now += 500; // one token back at 2/s
    expect(bucket.take("a")).toBe(0);
    expect(bucket.take("a")).toBe(1);
    clock.now += 60_000; // a long pause refills to the burst (2), not to 120
    expect([bucket.take("a"), bucket.take("a"), bucket.take("a")]).toEqual([0, 0, 1]);
  });

  it("keeps clients apart", () => {
    const { bucket } = limiter(1, 1);
    expect(bucket.take("a")).toBe(0);
    expect(bucket.take("a")).toBe(1);
    expect(bucket.take("b")).toBe(0);
  });

  it("forgets the least recently seen client past maxKeys, and only that one", () => {
    const { bucket } = limiter(0.001, 1, 2);
    bucket.take("a");
    bucket.take("b");
    expect(bucket.take("a")).toBeGreaterThan(0); // a is now the most recent
    bucket.take("c"); // evicts b, the least recent
    expect(bucket.take("a")).toBeGreaterThan(0); // a was kept: still limited
    expect(bucket.take("b")).toBe(0); // b starts again with a full bucket
  });
});
