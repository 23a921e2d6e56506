import { describe, expect, it } from "vitest";
import { decodePool, encodePool, type PoolItemMeta } from "#shared/retrieval/pool-codec";
import type { Rule } from "#shared/rules/rules-config";
import { poolOverlayOf } from "../src/retrieval/pool-overlay.js";
import {
  type Candidate,
  type RetrievalInput,
  retrieveCandidates,
  type ScoredItems,
} from "../src/retrieval/retrieve-candidates.js";

/**
 * A small pool on a 2-d circle: items at angle 0°, 10°, 20° … so the nearest
 * items to any direction are known by construction. Every fifth item is out of
 * stock; categories alternate "shoes"/"bags"; brand "acme" for items 30..35.
 */
const N = 36;
const ids = Array.from({ length: N }, (_, i) => `a${i * 10}`);
const vectors = Float32Array.from({ length: N * 2 }, (_, k) => {
  const angle = ((Math.floor(k / 2) * 10) / 180) * Math.PI;
  return k % 2 === 0 ? Math.cos(angle) : Math.sin(angle);
});
const meta: PoolItemMeta[] = ids.map((_, i) => ({
  category: i % 2 === 0 ? "shoes" : "bags",
  brand: i >= 30 ? "acme" : "other",
  inStock: i % 5 !== 4,
}));
const pool = decodePool(encodePool({ ids, dim: 2, vectors, meta }));
const NOW = Date.parse("2026-11-23T12:00:00Z");

function retrieve(overrides: Partial<RetrievalInput>): ReturnType<typeof retrieveCandidates> {
  return retrieveCandidates({ pool, recentItems: [], now: NOW, ...overrides });
}

function byId(candidates: Candidate[]): Map<string, Candidate> {
  return new Map(candidates.map((c) => [c.itemId, c]));
}

const scored = (items: string[]): ScoredItems => ({
  items,
  scores: items.map((_, i) => items.length - i),
});

describe("retrieveCandidates: the embedding source", () => {
  it("searches with the mean of the session's recent items and never returns them", () => {
    // Recent: 40° and 60°, mean direction 50°: the nearest others are 30°, 70°, 20°, 80° ...
    const result = retrieve({ recentItems: ["a40", "a60"], limit: 5 });
    expect(result.query).toBe("session");
    const found = result.candidates.map((c) => c.itemId);
    // Pairs at equal angles tie: compare them as sets.
    expect(found[0]).toBe("a50");
    expect(new Set(found.slice(1, 3))).toEqual(new Set(["a30", "a70"]));
    expect(new Set(found.slice(3, 5))).toEqual(new Set(["a20", "a80"]));
    expect(result.candidates.every((c) => c.sources.join() === "embedding")).toBe(true);
  });

  it("prefers the user's embedding over the session when the hot layer has one", () => {
    const user = [Math.cos(Math.PI), Math.sin(Math.PI)]; // 180°
    const result = retrieve({ userVector: user, recentItems: ["a0"], limit: 3 });
    expect(result.query).toBe("user");
    const found = result.candidates.map((c) => c.itemId);
    expect(found[0]).toBe("a180");
    expect(new Set(found.slice(1))).toEqual(new Set(["a170", "a190"]));
  });

  it("falls back to the session for a user vector of the wrong size or with NaN", () => {
    for (const bad of [[1, 0, 0], [Number.NaN, 1], [0, 0], "x"]) {
      expect(retrieve({ userVector: bad, recentItems: ["a90"], limit: 1 }).query).toBe("session");
    }
  });

  it("has no embedding source without a pool or a usable query", () => {
    expect(retrieve({ recentItems: ["unknown"] })).toMatchObject({ query: "none", candidates: [] });
    expect(retrieve({ pool: undefined, recentItems: ["a0"] }).query).toBe("none");
  });
});

describe("retrieveCandidates: merging sources", () => {
  it("keeps every source of an item several sources found and ranks it higher", () => {
    const result = retrieve({
      recentItems: ["a90"],
      covisit: new Map([["a90", scored(["a300", "a100"])]]),
      trending: scored(["a200", "a100"]),
      limit: 50,
    });
    const candidates = byId(result.candidates);
    expect(candidates.get("a100")?.sources).toEqual(["embedding", "covisit", "trending"]);
    expect(candidates.get("a300")?.sources).toEqual(["embedding", "covisit"]);
    expect(candidates.get("a200")?.sources).toContain("trending");
    expect(result.candidates[0]?.itemId).toBe("a100");
    expect(new Set(result.candidates.map((c) => c.itemId)).size).toBe(result.candidates.length);
    const scores = result.candidates.map((c) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("weights co-visitation of the newest recent item above an older one's", () => {
    const result = retrieve({
      pool: undefined,
      recentItems: ["new", "old"],
      covisit: new Map([
        ["new", scored(["x-from-new"])],
        ["old", scored(["x-from-old"])],
      ]),
    });
    expect(result.candidates.map((c) => c.itemId)).toEqual(["x-from-new", "x-from-old"]);
    expect(result.counts).toEqual({ embedding: 0, covisit: 2, trending: 0 });
  });

  it("answers a new anonymous visitor with trending alone, in trending order", () => {
    const result = retrieve({ trending: scored(["t1", "t2", "t3"]) });
    expect(result.query).toBe("none");
    expect(result.candidates.map((c) => c.itemId)).toEqual(["t1", "t2", "t3"]);
  });

  it("skips ids that are not strings in hot lists", () => {
    const trending = {
      items: ["t1", 7, "", null, "t2"],
      scores: [5, 4, 3, 2, 1],
    } as unknown as ScoredItems;
    expect(retrieve({ trending }).candidates.map((c) => c.itemId)).toEqual(["t1", "t2"]);
  });

  it("caps the answer at the limit", () => {
    const result = retrieve({ recentItems: ["a0"], trending: scored(ids), limit: 7 });
    expect(result.candidates).toHaveLength(7);
  });
});

describe("retrieveCandidates: exclusions and edge filters", () => {
  const everything = {
    recentItems: ["a0"],
    trending: scored([...ids, "outside"]),
    limit: 100,
  };

  it("never returns the session's recent or purchased items", () => {
    const result = retrieve({ ...everything, purchased: ["a10", "outside"] });
    const found = byId(result.candidates);
    for (const id of ["a0", "a10", "outside"]) expect(found.has(id)).toBe(false);
  });

  it("drops out-of-stock items only when the rules ask", () => {
    const unfiltered = byId(retrieve(everything).candidates);
    expect(unfiltered.has("a40")).toBe(true); // item 4 is out of stock
    const rules: Rule[] = [{ kind: "filter_out_of_stock", feature: "in_stock" }];
    const filtered = retrieve({ ...everything, rules }).candidates;
    expect(filtered.length).toBeGreaterThan(0);
    for (const c of filtered) expect(meta[ids.indexOf(c.itemId)]?.inStock ?? true).toBe(true);
  });

  it("drops blocked categories and brands, from the pool and from hot item facts", () => {
    const rules: Rule[] = [
      { kind: "filter_blocked", feature: "category", values: ["bags"] },
      { kind: "filter_blocked", feature: "brand", values: ["acme"] },
    ];
    const result = retrieve({
      ...everything,
      rules,
      trending: scored([...ids, "outside-bag", "outside-ok"]),
      itemMeta: new Map([["outside-bag", { category: "bags" }]]),
    });
    const found = result.candidates.map((c) => c.itemId);
    expect(found).toContain("outside-ok"); // unknown facts never drop an item
    expect(found).not.toContain("outside-bag");
    for (const id of found.filter((id) => ids.includes(id))) {
      const m = meta[ids.indexOf(id)];
      expect(m?.category).toBe("shoes");
      expect(m?.brand).toBe("other");
    }
    expect(result.counts.embedding).toBeGreaterThan(0);
  });

  it("skips malformed rules from the hot layer instead of failing the request", () => {
    const rules = [
      null,
      { kind: "filter_blocked", feature: "category" },
      { kind: "filter_blocked", feature: "category", values: ["bags"], active: { start: "x" } },
      { kind: "filter_blocked", feature: "brand", values: ["acme"] },
    ] as unknown as Rule[];
    const found = retrieve({ ...everything, rules }).candidates.map((c) => c.itemId);
    expect(found).toContain("a10"); // a bag: the malformed category rules did nothing
    expect(found).not.toContain("a300"); // acme: the well-formed rule still applies
  });

  it("ignores rules outside their promotion window and rules on features the edge lacks", () => {
    const rules: Rule[] = [
      {
        kind: "filter_blocked",
        feature: "category",
        values: ["shoes"],
        active: { start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z" },
      },
      { kind: "filter_blocked", feature: "colour", values: ["red"] },
      { kind: "filter_out_of_stock", feature: "stock_flag" },
    ];
    const result = retrieve({ ...everything, rules });
    expect(byId(result.candidates).has("a20")).toBe(true); // shoes, still allowed
    expect(byId(result.candidates).has("a40")).toBe(true); // out of stock, not checked
  });
});

describe("retrieveCandidates: the pool overlay (facts written since the pool was built)", () => {
  /** A `poolOverlay` value as the hot layer hands it over (unparsed JSON). */
  const value = {
    poolVersion: 7,
    ids: ["a80", "a40", "a20", "a10", "a90", "outside-gone", 42, ""],
    categories: [null, null, "bags", "shoes", null, null, "x", "x"],
    brands: [null, null, null, null, null, null, null, null],
    inStock: [false, true, true, true, null, false, true, true],
    complete: true,
  };
  const overlay = poolOverlayOf(pool, { value, version: 1 });
  const rules: Rule[] = [
    { kind: "filter_out_of_stock", feature: "in_stock" },
    { kind: "filter_blocked", feature: "category", values: ["bags"] },
  ];
  const everything = {
    recentItems: ["a0"],
    trending: scored([...ids, "outside-gone", "outside-ok"]),
    rules,
    limit: 100,
  };

  it("takes an item's facts from the overlay over the pool's columns, in every source", () => {
    const without = byId(retrieve(everything).candidates);
    // The pool's own columns: a80 a shoe in stock, a20 a shoe, a40 and a90 out of stock, a10 a bag.
    expect(without.has("a80")).toBe(true);
    expect(without.has("a20")).toBe(true);
    expect(without.has("a40")).toBe(false);
    expect(without.has("a10")).toBe(false);

    const found = byId(retrieve({ ...everything, overlay }).candidates);
    expect(found.has("a80")).toBe(false); // now out of stock
    expect(found.has("a20")).toBe(false); // now a bag
    expect(found.has("a40")).toBe(true); // back in stock
    expect(found.has("a10")).toBe(true); // now a shoe
    // The overlay's facts replace the pool's: stock the origin no longer knows is unknown, kept.
    expect(found.has("a90")).toBe(true);
    // Items added since the build: only the overlay knows them.
    expect(found.has("outside-gone")).toBe(false);
    expect(found.has("outside-ok")).toBe(true);
  });

  it("applies to the embedding search itself, not only to the lists", () => {
    // Nearest to 90°: 80° and 100°, then 70° and 110°.
    const near = { recentItems: ["a90"], rules, limit: 4 };
    expect(retrieve(near).candidates.map((c) => c.itemId)).toContain("a80");
    const found = retrieve({ ...near, overlay }).candidates.map((c) => c.itemId);
    expect(found).not.toContain("a80");
    expect(found).toHaveLength(4);
    expect(found.every((id) => id !== "a90")).toBe(true);
  });

  it("is compiled once per pool and entry version (the content's hash), skipping malformed rows", () => {
    expect(overlay?.byId.size).toBe(6); // 42 and "" are not ids
    expect(overlay?.byIndex.size).toBe(5); // outside-gone is not in the pool
    // The same content re-read (a new parsed value, same version): the compiled overlay.
    expect(poolOverlayOf(pool, { value: structuredClone(value), version: 1 })).toBe(overlay);
    expect(poolOverlayOf(pool, { value: { ...value, ids: [] }, version: 2 })).toBeUndefined();
    expect(poolOverlayOf(pool, { value: null, version: 3 })).toBeUndefined();
    expect(poolOverlayOf(pool, { value: "garbage", version: 4 })).toBeUndefined();
    expect(poolOverlayOf(pool, undefined)).toBeUndefined();
    expect(poolOverlayOf(undefined, { value, version: 1 })).toBeUndefined();
  });
});
