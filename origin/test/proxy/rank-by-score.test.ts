import { describe, expect, it } from "vitest";
import { fixed4 } from "../../src/proxy/fixed-4.js";
import { orderByScore } from "../../src/proxy/order-by-score.js";
import { rankByScore } from "../../src/proxy/rank-by-score.js";

/** A seeded PRNG (mulberry32): the same cases on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the rank path did before: a comparator sort, best first, ties in index order. */
function comparatorOrder(scores: Float64Array): number[] {
  const order = Array.from(scores, (_, i) => i);
  return order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

describe("fixed4", () => {
  it("formats exactly as toFixed(4), including halves, signs, zeros and huge or non-finite values", () => {
    const edges = [
      0,
      -0,
      1,
      -1,
      0.5,
      -0.5,
      0.00005,
      -0.00005,
      0.000049999,
      -0.00001,
      2.5e-5,
      1.00005,
      9.99995,
      0.99995,
      1.23455,
      1.23445,
      0.30000000000000004,
      1e-300,
      -1e-300,
      Number.MIN_VALUE,
      99_999_999.99995,
      1e7 + 0.00005,
      1e10,
      1e11,
      1e15,
      1e21,
      1e22,
      Number.MAX_VALUE,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    for (const x of edges) expect(fixed4(x), String(x)).toBe(x.toFixed(4));
  });

  it("agrees with toFixed(4) on a million scores, many of them a hair from a rounding half", () => {
    const next = random(7);
    const mismatches: number[] = [];
    for (let i = 0; i < 250_000; i++) {
      const wide = (next() * 2 - 1) * 10 ** Math.floor(next() * 16 - 8);
      const k = Math.floor(next() * 2e8) - 1e8;
      const half = (k + 0.5) / 1e4;
      const nearHalf = half + (next() - 0.5) * 1e-12;
      for (const x of [wide, k / 1e4, half, nearHalf]) {
        if (fixed4(x) !== x.toFixed(4)) mismatches.push(x);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe("ranking by score", () => {
  it("orders as the comparator sort did: best first, ties (also infinities and -0) in index order", () => {
    const next = random(11);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(next() * 300);
      // Few distinct values, so most lists have ties.
      const pool = [0, -0, 1, -1, 0.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, next()];
      const scores = Float64Array.from({ length: n }, () =>
        next() < 0.5 ? (pool[Math.floor(next() * pool.length)] as number) : next() * 4 - 2,
      );
      expect(Array.from(orderByScore(scores, n))).toEqual(comparatorOrder(scores));
    }
  });

  it("gives each candidate its score and reason, best first", () => {
    const scores = Float64Array.from([0.1, 0.73456, -2, 0.73456]);
    expect(rankByScore(["a", "b", "c", "d"], scores, 4)).toEqual([
      { id: "b", score: 0.73456, reason: "model score 0.7346" },
      { id: "d", score: 0.73456, reason: "model score 0.7346" },
      { id: "a", score: 0.1, reason: "model score 0.1000" },
      { id: "c", score: -2, reason: "model score -2.0000" },
    ]);
  });

  it("keeps the comparator sort's order for a list with NaN scores", () => {
    const next = random(3);
    const scores = Float64Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? Number.NaN : next()));
    const ids = Array.from({ length: 50 }, (_, i) => `i${i}`);
    const ranked = rankByScore(ids, scores, 50);
    expect(ranked.map((item) => item.id)).toEqual(comparatorOrder(scores).map((i) => `i${i}`));
    expect(ranked.filter((item) => Number.isNaN(item.score))).toHaveLength(7);
    expect(ranked.find((item) => Number.isNaN(item.score))?.reason).toBe("model score NaN");
  });
});
