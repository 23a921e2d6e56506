import { describe, expect, it } from "vitest";
import { createRandom } from "../../src/random/prng.js";
import {
  decodePool,
  encodePool,
  PoolFormatError,
  type PoolItemMeta,
  type RetrievalPool,
} from "../../src/retrieval/pool-codec.js";

function randomVectors(count: number, dim: number, seed = 1): Float32Array {
  const { next } = createRandom(seed);
  return Float32Array.from({ length: count * dim }, () => next() * 2 - 1);
}

function vectorOf(pool: RetrievalPool, item: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < pool.dim; j++) {
    const q = pool.vectors[item * pool.dim + j] ?? Number.NaN;
    out.push(pool.encoding === "int8" ? q * (pool.scales[item] ?? Number.NaN) : q);
  }
  return out;
}

describe("pool codec round trip", () => {
  // Already in code-unit order: the pool stores items sorted by id (tested below).
  const ids = ["", "i1", "i4", "ünï-çødé"];
  const dim = 3;
  const vectors = Float32Array.of(1, 0, -1, 0.5, 0.25, -0.125, 0, 0, 0, -3, 2, 1);
  const meta: PoolItemMeta[] = [
    { category: "shoes", brand: "acme", inStock: true },
    { category: "bags", brand: "acme", inStock: false },
    {},
    { category: "shoes", inStock: true },
  ];

  it("keeps float32 vectors, ids and meta exactly", () => {
    const pool = decodePool(encodePool({ ids, dim, vectors, meta, encoding: "float32" }));
    expect(pool).toMatchObject({ dim, count: 4, ids, encoding: "float32" });
    expect(Array.from(pool.vectors)).toEqual(Array.from(vectors));
    expect(pool.scales).toHaveLength(0);
    const m = pool.meta;
    expect(m).toBeDefined();
    if (!m) return;
    const categoryOf = (i: number) => m.categories[m.categoryCodes[i] ?? -1];
    const brandOf = (i: number) => m.brands[m.brandCodes[i] ?? -1];
    const inStock = (i: number) => ((m.inStock[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
    expect([0, 1, 2, 3].map(categoryOf)).toEqual(["shoes", "bags", "", "shoes"]);
    expect([0, 1, 2, 3].map(brandOf)).toEqual(["acme", "acme", "", ""]);
    // Unknown stock (item 2) is encoded as in stock: the edge never drops on a guess.
    expect([0, 1, 2, 3].map(inStock)).toEqual([true, false, true, true]);
  });

  it("quantizes int8 per item within half a step of each component", () => {
    const pool = decodePool(encodePool({ ids, dim, vectors, meta }));
    expect(pool.encoding).toBe("int8");
    expect(pool.vectors).toBeInstanceOf(Int8Array);
    for (let item = 0; item < 4; item++) {
      const original = Array.from(vectors.subarray(item * dim, (item + 1) * dim));
      const maxAbs = Math.max(...original.map(Math.abs));
      const step = maxAbs / 127;
      vectorOf(pool, item).forEach((value, j) => {
        expect(Math.abs(value - (original[j] ?? 0))).toBeLessThanOrEqual(step / 2 + 1e-6);
      });
    }
    // The zero vector stays zero (scale 0), never NaN.
    expect(vectorOf(pool, 2)).toEqual([0, 0, 0]);
  });

  it("reads a pool without meta, and an empty pool", () => {
    expect(decodePool(encodePool({ ids, dim, vectors })).meta).toBeUndefined();
    const empty = decodePool(encodePool({ ids: [], dim: 32, vectors: new Float32Array(0) }));
    expect(empty).toMatchObject({ count: 0, dim: 32, ids: [] });
  });

  it("reads bytes at an unaligned offset inside a larger buffer (as chunked transport hands them)", () => {
    const bytes = encodePool({ ids, dim, vectors, meta });
    const padded = new Uint8Array(bytes.byteLength + 3);
    padded.set(bytes, 1);
    const pool = decodePool(padded.subarray(1, 1 + bytes.byteLength));
    expect(pool.ids).toEqual(ids);
    expect(vectorOf(pool, 3)).toEqual(vectorOf(decodePool(bytes), 3));
  });

  it("uses wider codes when a dictionary outgrows a byte", () => {
    const n = 300;
    const many = Array.from({ length: n }, (_, i) => `item-${String(i).padStart(3, "0")}`);
    const pool = decodePool(
      encodePool({
        ids: many,
        dim: 2,
        vectors: randomVectors(n, 2),
        meta: many.map((_, i) => ({ category: `c${i}`, brand: "b" })),
      }),
    );
    expect(pool.meta?.categoryCodes).toBeInstanceOf(Uint16Array);
    expect(pool.meta?.brandCodes).toBeInstanceOf(Uint8Array);
    const m = pool.meta;
    expect(m?.categories[m.categoryCodes[299] ?? 0]).toBe("c299");
  });

  it("stores items sorted by id, each keeping its own vector and meta", () => {
    const pool = decodePool(
      encodePool({
        ids: ["c", "a", "b"],
        dim: 1,
        vectors: Float32Array.of(3, 1, 2),
        meta: [{ category: "is-c" }, { category: "is-a" }, { category: "is-b" }],
        encoding: "float32",
      }),
    );
    expect(pool.ids).toEqual(["a", "b", "c"]);
    expect(Array.from(pool.vectors)).toEqual([1, 2, 3]);
    const m = pool.meta;
    expect([0, 1, 2].map((i) => m?.categories[m.categoryCodes[i] ?? 0])).toEqual([
      "is-a",
      "is-b",
      "is-c",
    ]);
  });

  it("keeps a 100k × 32 int8 pool with meta to a few MB", () => {
    const count = 100_000;
    const dim = 32;
    const pool = encodePool({
      ids: Array.from({ length: count }, (_, i) => `i${String(i).padStart(6, "0")}`),
      dim,
      vectors: randomVectors(count, dim),
      meta: Array.from({ length: count }, (_, i) => ({
        category: `cat-${i % 40}`,
        brand: `brand-${i % 500}`,
        inStock: i % 10 !== 0,
      })),
    });
    // ids 0.7 MB + offsets 0.4 MB + vectors 3.2 MB + scales 0.4 MB + codes 0.3 MB.
    expect(pool.byteLength).toBeLessThan(5.5 * 1024 * 1024);
    const decoded = decodePool(pool);
    expect(decoded.count).toBe(count);
    expect(decoded.ids[99_999]).toBe("i099999");
  });
});

describe("pool codec refusals", () => {
  const good = encodePool({
    ids: ["a", "b"],
    dim: 2,
    vectors: Float32Array.of(1, 2, 3, 4),
    meta: [{ category: "x" }, { brand: "y" }],
  });

  function corrupt(edit: (bytes: Uint8Array, view: DataView) => void): Uint8Array {
    const bytes = good.slice();
    edit(bytes, new DataView(bytes.buffer));
    return bytes;
  }

  it.each([
    ["empty bytes", new Uint8Array(0), /shorter than the header/],
    ["JSON instead of a pool", new TextEncoder().encode('{"ids":["a","b","c","d"]}'), /bad magic/],
    ["a newer layout", corrupt((b) => (b[4] = 2)), /layout version 2/],
    ["an unknown encoding", corrupt((b) => (b[5] = 9)), /vector encoding 9/],
    ["dim 0", corrupt((_, v) => v.setUint32(8, 0, true)), /dim 0/],
    ["a huge count", corrupt((_, v) => v.setUint32(12, 0xffffffff, true)), /count/],
    ["a count beyond the bytes", corrupt((_, v) => v.setUint32(12, 1000, true)), /ids/],
    ["truncated vectors", good.subarray(0, 60), /truncated/],
    ["truncated meta", good.subarray(0, good.byteLength - 1), /truncated/],
    ["trailing bytes", Uint8Array.from([...good, 0, 0, 0, 0]), /trailing/],
  ])("refuses %s with a PoolFormatError", (_, bytes, message) => {
    expect(() => decodePool(bytes)).toThrow(PoolFormatError);
    expect(() => decodePool(bytes)).toThrow(message);
  });

  it("refuses ids out of order (a lookup by binary search would miss items)", () => {
    const bytes = encodePool({ ids: ["a", "b"], dim: 1, vectors: Float32Array.of(1, 2) });
    const at = bytes.indexOf(0x61); // "a" in the ids text, followed by "b"
    bytes[at] = 0x62;
    bytes[at + 1] = 0x61;
    expect(() => decodePool(bytes)).toThrow(/not in strictly ascending order/);
  });

  it("refuses to encode mismatched input", () => {
    expect(() => encodePool({ ids: ["a", "a"], dim: 1, vectors: Float32Array.of(1, 2) })).toThrow(
      /duplicate pool id a/,
    );
    expect(() => encodePool({ ids: ["a"], dim: 2, vectors: Float32Array.of(1) })).toThrow(
      /expected 1 × 2 = 2 values/,
    );
    expect(() => encodePool({ ids: ["a"], dim: 1, vectors: Float32Array.of(Number.NaN) })).toThrow(
      /finite/,
    );
    expect(() => encodePool({ ids: ["a"], dim: 1, vectors: Float32Array.of(1), meta: [] })).toThrow(
      /meta/,
    );
  });
});
