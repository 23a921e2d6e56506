import { describe, expect, it } from "vitest";
import type { CacheWindows } from "../src/cache/cache-windows.js";
import { cacheApiTier, type EdgeCacheTier, edgeCacheUrl } from "../src/cache/edge-cache-tier.js";
import {
  type Compute,
  type Computed,
  type ComputeInput,
  InferenceCache,
} from "../src/cache/inference-cache.js";

const WINDOWS: CacheWindows = { freshMs: 1_000, staleMs: 10_000 };

/** A cache over the real `caches.default` (own namespace per test) with a clock the test moves. */
function setup(options: { memoryEntries?: number; edge?: EdgeCacheTier } = {}) {
  const clock = { now: 1_000_000 };
  const cache = new InferenceCache<string[]>({
    memoryEntries: options.memoryEntries ?? 100,
    edge: options.edge ?? cacheApiTier(() => caches.default, `test-${crypto.randomUUID()}`),
    now: () => clock.now,
  });
  const background: Promise<unknown>[] = [];
  const waitUntil = (promise: Promise<unknown>) => {
    background.push(promise);
  };
  /** Waits for every waitUntil promise, including those started while waiting. */
  const settle = async () => {
    while (background.length > 0) await Promise.all(background.splice(0));
  };
  return { cache, clock, waitUntil, settle };
}

/** A compute that counts its calls and answers `value(call)`. */
function counting(value: (call: number) => string[], cacheable = true) {
  const calls: ComputeInput<string[]>[] = [];
  const compute: Compute<string[]> = async (input) => {
    calls.push(input);
    return { value: value(calls.length), computedAt: 42, cacheable };
  };
  return { compute, calls };
}

describe("inference cache tiers", () => {
  it("computes on a miss, then answers from isolate memory", async () => {
    const { cache, waitUntil, settle } = setup();
    const { compute, calls } = counting((n) => [`a${n}`]);
    const first = await cache.get("k1", WINDOWS, compute, waitUntil);
    await settle();
    const second = await cache.get("k1", WINDOWS, compute, waitUntil);
    expect(first).toEqual({ value: ["a1"], computedAt: 42, from: "computed", stale: false });
    expect(second).toEqual({ value: ["a1"], computedAt: 42, from: "memory", stale: false });
    expect(calls).toHaveLength(1);
    expect(cache.stats).toMatchObject({ misses: 1, memoryHits: 1, stored: 1 });
  });

  it("a hit in caches.default refills isolate memory", async () => {
    const { cache, waitUntil, settle } = setup();
    const { compute, calls } = counting((n) => [`b${n}`]);
    await cache.get("k2", WINDOWS, compute, waitUntil);
    await settle(); // the Cache API write runs in waitUntil
    cache.evictMemory("k2");
    const fromEdge = await cache.get("k2", WINDOWS, compute, waitUntil);
    const fromMemory = await cache.get("k2", WINDOWS, compute, waitUntil);
    expect(fromEdge).toMatchObject({ value: ["b1"], from: "edge-cache", stale: false });
    expect(fromMemory).toMatchObject({ value: ["b1"], from: "memory", stale: false });
    expect(calls).toHaveLength(1);
    expect(cache.stats).toMatchObject({ misses: 1, edgeCacheHits: 1, memoryHits: 1 });
  });

  it("another isolate's cache (empty memory) is served from caches.default", async () => {
    const namespace = `shared-${crypto.randomUUID()}`;
    const one = setup({ edge: cacheApiTier(() => caches.default, namespace) });
    const two = setup({ edge: cacheApiTier(() => caches.default, namespace) });
    await one.cache.get("k3", WINDOWS, counting(() => ["c"]).compute, one.waitUntil);
    await one.settle();
    const { compute, calls } = counting(() => ["never"]);
    const served = await two.cache.get("k3", WINDOWS, compute, two.waitUntil);
    expect(served).toMatchObject({ value: ["c"], from: "edge-cache" });
    expect(calls).toHaveLength(0);
  });

  it("memory is bounded: the least recently used list falls back to caches.default", async () => {
    const { cache, waitUntil, settle } = setup({ memoryEntries: 2 });
    const { compute, calls } = counting((n) => [`d${n}`]);
    for (const key of ["x", "y", "z"]) await cache.get(key, WINDOWS, compute, waitUntil);
    await settle();
    expect((await cache.get("z", WINDOWS, compute, waitUntil)).from).toBe("memory");
    expect((await cache.get("x", WINDOWS, compute, waitUntil)).from).toBe("edge-cache");
    expect(calls).toHaveLength(3);
  });

  it("stores Cache API entries with max-age = fresh + stale window, a duration", async () => {
    const namespace = `ttl-${crypto.randomUUID()}`;
    const tier = cacheApiTier(() => caches.default, namespace);
    await tier.put("k", { value: ["x"], computedAt: 1, storedAt: 2 }, WINDOWS);
    const stored = await caches.default.match(edgeCacheUrl(namespace, "k"));
    expect(stored?.headers.get("cache-control")).toBe("max-age=11");
    expect(await tier.get("k")).toEqual({ value: ["x"], computedAt: 1, storedAt: 2 });
  });

  it("caches a known-empty answer like any other", async () => {
    const { cache, waitUntil, settle } = setup();
    const { compute, calls } = counting(() => []);
    await cache.get("empty", WINDOWS, compute, waitUntil);
    await settle();
    const again = await cache.get("empty", WINDOWS, compute, waitUntil);
    cache.evictMemory("empty");
    const fromEdge = await cache.get("empty", WINDOWS, compute, waitUntil);
    expect(again).toMatchObject({ value: [], from: "memory" });
    expect(fromEdge).toMatchObject({ value: [], from: "edge-cache" });
    expect(calls).toHaveLength(1);
  });

  it("does not store an answer its compute marks uncacheable (degraded)", async () => {
    const { cache, waitUntil, settle } = setup();
    const { compute, calls } = counting((n) => [`e${n}`], false);
    await cache.get("degraded", WINDOWS, compute, waitUntil);
    await settle();
    const again = await cache.get("degraded", WINDOWS, compute, waitUntil);
    expect(again).toMatchObject({ value: ["e2"], from: "computed" });
    expect(calls).toHaveLength(2);
  });

  it("a failing Cache API tier reads as a miss, never as an error", async () => {
    const broken: EdgeCacheTier = {
      get: () => Promise.reject(new Error("cache down")),
      put: () => Promise.reject(new Error("cache down")),
    };
    const { cache, waitUntil, settle } = setup({ edge: broken });
    const { compute, calls } = counting(() => ["f"]);
    expect(await cache.get("k", WINDOWS, compute, waitUntil)).toMatchObject({ from: "computed" });
    await settle();
    expect(await cache.get("k", WINDOWS, compute, waitUntil)).toMatchObject({ from: "memory" });
    expect(calls).toHaveLength(1);
  });
});

describe("stale-while-revalidate", () => {
  it("serves a stale hit at once and refreshes it once in the background", async () => {
    const { cache, clock, waitUntil, settle } = setup();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: ComputeInput<string[]>[] = [];
    const compute: Compute<string[]> = async (input): Promise<Computed<string[]>> => {
      calls.push(input);
      if (calls.length > 1) await gate; // the refresh stays in flight until released
      return { value: [`v${calls.length}`], computedAt: clock.now, cacheable: true };
    };
    await cache.get("swr", WINDOWS, compute, waitUntil);
    await settle();
    clock.now += WINDOWS.freshMs + 1; // past fresh, inside stale

    const served = await Promise.all(
      [1, 2, 3].map(() => cache.get("swr", WINDOWS, compute, waitUntil)),
    );
    for (const answer of served) {
      expect(answer).toMatchObject({ value: ["v1"], from: "memory", stale: true });
    }
    expect(calls).toHaveLength(2); // the first fill and exactly one refresh
    expect(calls[1]).toMatchObject({ background: true, previous: { value: ["v1"] } });
    expect(cache.stats).toMatchObject({ refreshesStarted: 1, refreshesJoined: 2, staleServed: 3 });

    release();
    await settle();
    const refreshed = await cache.get("swr", WINDOWS, compute, waitUntil);
    expect(refreshed).toMatchObject({ value: ["v2"], from: "memory", stale: false });
    expect(calls).toHaveLength(2);
  });

  it("a failed refresh keeps the stale entry and lets the next stale hit try again", async () => {
    const { cache, clock, waitUntil, settle } = setup();
    let fail = false;
    let count = 0;
    const compute: Compute<string[]> = async () => {
      count++;
      if (fail) throw new Error("origin down");
      return { value: [`w${count}`], computedAt: 1, cacheable: true };
    };
    await cache.get("swr-fail", WINDOWS, compute, waitUntil);
    await settle();
    clock.now += WINDOWS.freshMs + 1;
    fail = true;
    expect(await cache.get("swr-fail", WINDOWS, compute, waitUntil)).toMatchObject({
      value: ["w1"],
      stale: true,
    });
    await settle();
    fail = false;
    expect(await cache.get("swr-fail", WINDOWS, compute, waitUntil)).toMatchObject({
      value: ["w1"],
      stale: true,
    });
    await settle();
    expect(cache.stats).toMatchObject({ refreshesStarted: 2, refreshesFailed: 1 });
    expect(await cache.get("swr-fail", WINDOWS, compute, waitUntil)).toMatchObject({
      value: ["w3"],
      stale: false,
    });
  });

  it("past the stale window it recomputes, handing the expired entry to compute as a fallback", async () => {
    const { cache, clock, waitUntil, settle } = setup();
    const { compute, calls } = counting((n) => [`x${n}`]);
    await cache.get("old", WINDOWS, compute, waitUntil);
    await settle();
    clock.now += WINDOWS.freshMs + WINDOWS.staleMs + 1;
    const served = await cache.get("old", WINDOWS, compute, waitUntil);
    expect(served).toMatchObject({ value: ["x2"], from: "computed", stale: false });
    expect(calls[1]).toMatchObject({
      background: false,
      previous: { value: ["x1"] },
      previousFrom: "memory",
    });
  });
});
