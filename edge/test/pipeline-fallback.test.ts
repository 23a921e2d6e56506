import { describe, expect, it } from "vitest";
import type { OriginRecommendationResponse } from "#shared/api/recommendations";
import { InferenceCache } from "../src/cache/inference-cache.js";
import type { PipelinePorts, RerankInput, SessionView } from "../src/pipeline/ports.js";
import { type CachedList, type RecommendInput, recommend } from "../src/pipeline/recommend.js";

const WINDOWS = { freshMs: 60_000, staleMs: 60_000 };
const NO_SESSION: SessionView = { version: 0, recentItems: [], recentCategories: [], updatedAt: 0 };

/** Ports that answer like a healthy edge and origin; each test breaks what it needs. */
function healthyPorts(overrides: Partial<PipelinePorts> = {}) {
  const reranks: RerankInput[] = [];
  const ports: PipelinePorts = {
    readSession: async () => NO_SESSION,
    modelsOf: async () => () => ({ model: "demo@1" }),
    retrieve: async () => ({
      candidates: [
        { id: "i2", score: 0.5, sources: ["covisit"] },
        { id: "i1", score: 0.9, sources: ["covisit", "trending"] },
        { id: "i3", score: 0.1, sources: ["trending"] },
      ],
      computedAt: Date.now() - 1_000,
    }),
    trending: async () => ({ items: ["t1", "t2"], scores: [2, 1], updatedAt: Date.now() - 5_000 }),
    rerank: async (input): Promise<OriginRecommendationResponse> => {
      reranks.push(input);
      const ids = input.candidates ?? ["o1"];
      return {
        items: ids.map((id, i) => ({ id, score: ids.length - i })),
        lens: "user",
        computedAt: Date.now(),
      };
    },
    ...overrides,
  };
  return { ports, reranks };
}

function run(
  ports: PipelinePorts,
  overrides: Partial<RecommendInput> = {},
  cache = newCache(),
  waitUntil: (promise: Promise<unknown>) => void = () => {},
) {
  const input: RecommendInput = {
    requestId: "req-1",
    surface: "home",
    k: 2,
    region: "eu",
    sessionId: "s1",
    itemId: "i9",
    budgetMs: 50,
    ...overrides,
  };
  return recommend(input, { ports, cache, windows: WINDOWS, waitUntil });
}

const newCache = () => new InferenceCache<CachedList>({ memoryEntries: 100 });

/** A cache on a clock the test moves by hand, to step past its fresh and stale windows. */
function clockedCache() {
  let now = 1_000_000;
  const cache = new InferenceCache<CachedList>({ memoryEntries: 10, now: () => now });
  return {
    cache,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("pipeline happy path", () => {
  it("re-ranks the edge's candidates at the origin and reports every stage", async () => {
    const { ports, reranks } = healthyPorts();
    const result = await run(ports);
    expect(reranks).toHaveLength(1);
    expect(reranks[0]).toMatchObject({ candidates: ["i2", "i1", "i3"], region: "eu", k: 2 });
    // A session without events shares the region's segment list: the origin is not told whose it is.
    expect(reranks[0]?.sessionId).toBeUndefined();
    expect(result).toMatchObject({
      items: [
        { id: "i2", score: 3 },
        { id: "i1", score: 2 },
      ],
      tier: "origin",
      lens: "user",
      stale: false,
      degraded: false,
    });
    const stages = result.serverTiming.split(", ").map((part) => part.split(";")[0]);
    expect(stages).toEqual(
      expect.arrayContaining(["session", "hot", "cache", "retrieval", "origin", "total"]),
    );
    expect(result.serverTiming).toMatch(/^(\w+;dur=\d+\.\d)(, \w+;dur=\d+\.\d)*$/);
  });

  it("answers the same request from memory next time, without the origin", async () => {
    const { ports, reranks } = healthyPorts();
    const cache = newCache();
    await run(ports, {}, cache);
    const again = await run(ports, {}, cache);
    expect(again).toMatchObject({ tier: "memory", stale: false, degraded: false });
    expect(again.serverTiming).not.toContain("origin;");
    expect(reranks).toHaveLength(1);
  });

  it("a shopper's own event (session version bump) and a new model version each miss the cache", async () => {
    let version = 0;
    let model = "demo@1";
    const { ports, reranks } = healthyPorts({
      readSession: async () => ({ ...NO_SESSION, version, recentItems: version ? ["i7"] : [] }),
      modelsOf: async () => () => ({ model }),
    });
    const cache = newCache();
    await run(ports, {}, cache);
    version = 1;
    const afterEvent = await run(ports, {}, cache);
    model = "demo@2";
    const afterModel = await run(ports, {}, cache);
    expect([afterEvent.tier, afterModel.tier]).toEqual(["origin", "origin"]);
    expect(reranks).toHaveLength(3);
    expect(reranks[1]?.recentItems).toEqual(["i7"]);
    expect(reranks[1]?.sessionId).toBe("s1");
  });
});

describe("stale-while-revalidate through the pipeline", () => {
  it("serves the stale list at once and re-ranks in the background, once", async () => {
    const { cache, advance } = clockedCache();
    let round = 0;
    const { ports, reranks } = healthyPorts();
    const healthyRerank = ports.rerank;
    ports.rerank = async (input, options) => {
      round++;
      const answer = await healthyRerank(input, options);
      return { ...answer, items: answer.items.map((item) => ({ ...item, score: round })) };
    };
    const background: Promise<unknown>[] = [];
    const keep = (promise: Promise<unknown>) => {
      background.push(promise);
    };
    await run(ports, {}, cache, keep);
    advance(WINDOWS.freshMs + 1);
    const stale = await Promise.all([run(ports, {}, cache, keep), run(ports, {}, cache, keep)]);
    for (const answer of stale) {
      expect(answer).toMatchObject({ tier: "memory", stale: true, degraded: false });
      expect(answer.items[0]?.score).toBe(1);
    }
    while (background.length > 0) await Promise.all(background.splice(0));
    expect(reranks).toHaveLength(2); // the first fill and one refresh for both stale hits
    const fresh = await run(ports, {}, cache, keep);
    expect(fresh).toMatchObject({ tier: "memory", stale: false });
    expect(fresh.items[0]?.score).toBe(2);
  });
});

describe("cache key reads", () => {
  it("does not read the store of a session the edge issued in this very request", async () => {
    let reads = 0;
    const { ports } = healthyPorts({
      readSession: async () => {
        reads++;
        return NO_SESSION;
      },
    });
    const cache = newCache();
    await run(ports, { newSession: true }, cache);
    const again = await run(ports, { newSession: true }, cache);
    expect(reads).toBe(0);
    expect(again.tier).toBe("memory");
  });

  it("answers but stores nothing when the session read is late (the key would be a guess)", async () => {
    const { ports } = healthyPorts({ readSession: () => new Promise(() => {}) });
    const cache = newCache();
    const first = await run(ports, { budgetMs: 20 }, cache);
    const second = await run(ports, { budgetMs: 20 }, cache);
    expect([first.tier, second.tier]).not.toContain("memory");
  });
});

describe("fallback ladder when the origin fails or is late", () => {
  const down = { rerank: () => Promise.reject(new Error("origin is unreachable")) };

  it("answers with the edge's own ranking, degraded", async () => {
    const { ports } = healthyPorts(down);
    const result = await run(ports);
    expect(result).toMatchObject({
      items: [
        { id: "i1", score: 0.9 },
        { id: "i2", score: 0.5 },
      ],
      tier: "edge",
      lens: "request",
      degraded: true,
      degradedBecause: "origin is unreachable",
    });
    expect(result.ageMs).toBeGreaterThanOrEqual(1_000);
  });

  it("does not wait past the budget for an origin that never answers", async () => {
    const { ports } = healthyPorts({ rerank: () => new Promise(() => {}) });
    const result = await run(ports, { budgetMs: 20 });
    expect(result).toMatchObject({ tier: "edge", degraded: true });
    expect(result.degradedBecause).toMatch(/did not answer within \d+ ms/);
  });

  it("does not cache a degraded answer: the origin is tried again next time", async () => {
    let up = false;
    const { ports, reranks } = healthyPorts();
    const healthyRerank = ports.rerank;
    ports.rerank = (input, options) =>
      up ? healthyRerank(input, options) : Promise.reject(new Error("down"));
    const cache = newCache();
    expect((await run(ports, {}, cache)).degraded).toBe(true);
    up = true;
    expect(await run(ports, {}, cache)).toMatchObject({ tier: "origin", degraded: false });
    expect(reranks).toHaveLength(1);
  });

  it("with no edge candidates, serves the last cached list even past its windows, marked stale", async () => {
    const { cache, advance } = clockedCache();
    const { ports } = healthyPorts();
    await run(ports, {}, cache);
    advance(WINDOWS.freshMs + WINDOWS.staleMs + 1);
    const broken = healthyPorts({
      ...down,
      retrieve: async () => ({ candidates: [], computedAt: 0 }),
    });
    const result = await run(broken.ports, {}, cache);
    expect(result).toMatchObject({
      items: [{ id: "i2" }, { id: "i1" }],
      tier: "memory",
      stale: true,
      degraded: true,
    });
  });

  it("with neither candidates nor a cached list, serves regional trending", async () => {
    const { ports } = healthyPorts({ ...down, retrieve: () => Promise.reject(new Error("x")) });
    const result = await run(ports);
    expect(result).toMatchObject({
      items: [
        { id: "t1", score: 2 },
        { id: "t2", score: 1 },
      ],
      tier: "edge",
      lens: "business",
      degraded: true,
    });
    expect(result.ageMs).toBeGreaterThanOrEqual(5_000);
  });

  it("with the trending read late, serves the isolate's old copy at once, not the cold-start wait", async () => {
    const { ports, reranks } = healthyPorts({
      ...down,
      retrieve: () => Promise.reject(new Error("x")),
      trending: () => new Promise(() => {}),
      trendingHeld: () => ({ items: ["h1", "h2"], scores: [2, 1], updatedAt: Date.now() - 9_000 }),
    });
    const result = await run(ports);
    expect(result).toMatchObject({
      items: [
        { id: "h1", score: 2 },
        { id: "h2", score: 1 },
      ],
      tier: "edge",
      degraded: true,
    });
    expect(result.serverTiming).not.toContain("cold;");
    // Only the budgeted origin call, no cold-start call after it.
    expect(reranks).toHaveLength(0);
  });

  it("with nothing held at all, answers the origin's ladder late rather than an empty list (cold start)", async () => {
    let failFirst = true;
    const { ports, reranks } = healthyPorts({
      retrieve: () => Promise.reject(new Error("x")),
      trending: async () => undefined,
      // The budgeted call fails (as a cold origin connection that is late would); the cold rung's succeeds.
      rerank: async (input) => {
        reranks.push(input);
        if (failFirst) {
          failFirst = false;
          throw new Error("late");
        }
        return { items: [{ id: "o1", score: 1 }], lens: "business", computedAt: Date.now() };
      },
    });
    const result = await run(ports);
    expect(result).toMatchObject({
      items: [{ id: "o1", score: 1 }],
      tier: "origin",
      degraded: true,
    });
    expect(result.serverTiming).toContain("cold;");
    expect(reranks).toHaveLength(2);
    expect(reranks[1]?.candidates).toBeUndefined();
  });

  it("with every dependency failing it still answers, with an empty degraded list", async () => {
    const fail = () => Promise.reject(new Error("down"));
    const { ports } = healthyPorts({
      readSession: fail,
      modelsOf: fail,
      retrieve: fail,
      trending: fail,
      rerank: fail,
    });
    const result = await run(ports);
    expect(result).toMatchObject({ items: [], tier: "edge", lens: "business", degraded: true });
  });
});
