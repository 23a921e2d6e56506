import { describe, expect, it } from "vitest";
import { createRandom } from "#shared/random/prng";
import { decodePool, encodePool, type RetrievalPool } from "#shared/retrieval/pool-codec";
import { topKByDot } from "../src/retrieval/top-k-dot.js";

/** Ids padded so input order is id order: pool indices equal the reference's. */
function randomPool(count: number, dim: number, seed: number) {
  const { gaussian } = createRandom(seed);
  const vectors = Float32Array.from({ length: count * dim }, gaussian);
  const ids = Array.from({ length: count }, (_, i) => `i${String(i).padStart(6, "0")}`);
  return { ids, dim, vectors };
}

/** The reference: every score in float64, then a full sort. */
function exactTopK(vectors: Float32Array, dim: number, query: Float32Array, k: number): number[] {
  const count = vectors.length / dim;
  const scores = Array.from({ length: count }, (_, item) => {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (query[j] ?? 0) * (vectors[item * dim + j] ?? 0);
    return { item, dot };
  });
  return scores
    .sort((a, b) => b.dot - a.dot)
    .slice(0, k)
    .map((s) => s.item);
}

function recall(found: ArrayLike<number>, exact: readonly number[]): number {
  const truth = new Set(exact);
  let hits = 0;
  for (let i = 0; i < found.length; i++) if (truth.has(found[i] as number)) hits++;
  return hits / exact.length;
}

describe("topKByDot against a brute-force float reference", () => {
  const count = 20_000;
  const dim = 32;
  const k = 100;
  const source = randomPool(count, dim, 7);
  const float32 = decodePool(encodePool({ ...source, encoding: "float32" }));
  const int8 = decodePool(encodePool(source));
  const { gaussian } = createRandom(99);
  const queries = Array.from({ length: 10 }, () => Float32Array.from({ length: dim }, gaussian));

  it("finds exactly the reference's top K over a float32 pool, best first", () => {
    for (const query of queries) {
      const top = topKByDot(float32, query, k);
      expect(Array.from(top.indices)).toEqual(exactTopK(source.vectors, dim, query, k));
      const scores = Array.from(top.scores);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });

  it("keeps recall of the int8 pool at or above 98% of the exact top K (measured ~99.6%)", () => {
    const recalls = queries.map((query) =>
      recall(topKByDot(int8, query, k).indices, exactTopK(source.vectors, dim, query, k)),
    );
    const mean = recalls.reduce((a, b) => a + b, 0) / recalls.length;
    expect(mean).toBeGreaterThanOrEqual(0.98);
    expect(Math.min(...recalls)).toBeGreaterThanOrEqual(0.95);
  });

  it("scores int8 items within the quantization error of their exact dot product", () => {
    const query = queries[0] as Float32Array;
    const top = topKByDot(int8, query, 10);
    const queryNorm1 = query.reduce((sum, v) => sum + Math.abs(v), 0);
    for (let i = 0; i < top.indices.length; i++) {
      const item = top.indices[i] as number;
      let exact = 0;
      for (let j = 0; j < dim; j++)
        exact += (query[j] ?? 0) * (source.vectors[item * dim + j] ?? 0);
      // Each component is off by at most half a step (scale / 2).
      const bound = (queryNorm1 * (int8.scales[item] ?? 0)) / 2 + 1e-5;
      expect(Math.abs((top.scores[i] ?? 0) - exact)).toBeLessThanOrEqual(bound);
    }
  });

  it("handles dims that are not a multiple of 8 the same way", () => {
    const odd = randomPool(2_000, 13, 3);
    const pool = decodePool(encodePool({ ...odd, encoding: "float32" }));
    const query = Float32Array.from({ length: 13 }, (_, j) => Math.sin(j + 1));
    expect(Array.from(topKByDot(pool, query, 25).indices)).toEqual(
      exactTopK(odd.vectors, 13, query, 25),
    );
  });
});

describe("topKByDot edges", () => {
  const pool: RetrievalPool = decodePool(
    encodePool({
      ids: ["a", "b", "c", "d"],
      dim: 2,
      vectors: Float32Array.of(1, 0, 0.9, 0.1, 0, 1, -1, 0),
      encoding: "float32",
    }),
  );
  const east = Float32Array.of(1, 0);

  it("returns the whole pool, ordered, when k exceeds it, and nothing for k = 0", () => {
    expect(Array.from(topKByDot(pool, east, 10).indices)).toEqual([0, 1, 2, 3]);
    expect(topKByDot(pool, east, 0).indices).toHaveLength(0);
  });

  it("skips items the acceptor refuses and fills their places with the next best", () => {
    const top = topKByDot(pool, east, 2, (index) => index !== 0);
    expect(Array.from(top.indices)).toEqual([1, 2]);
  });

  it("refuses a query of the wrong dimension", () => {
    expect(() => topKByDot(pool, Float32Array.of(1, 0, 0), 2)).toThrow(/3 dimensions, the pool 2/);
  });
});
