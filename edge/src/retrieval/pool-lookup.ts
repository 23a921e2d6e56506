import type { PoolItemMeta, RetrievalPool } from "#shared/retrieval/pool-codec";

/** id → index per decoded pool, built on first use and dropped with the pool. */
const indexes = new WeakMap<RetrievalPool, Map<string, number>>();

/** The pool index of an item id, or undefined when the item is not in the pool. */
export function poolIndexOf(pool: RetrievalPool, id: string): number | undefined {
  let index = indexes.get(pool);
  if (!index) {
    index = new Map();
    for (let i = 0; i < pool.ids.length; i++) index.set(pool.ids[i] as string, i);
    indexes.set(pool, index);
  }
  return index.get(id);
}

/** Adds item `index`'s (dequantized) vector × `weight` into `out`. */
export function addPoolVector(
  pool: RetrievalPool,
  index: number,
  weight: number,
  out: Float32Array,
): void {
  const { dim, vectors } = pool;
  const scale = pool.encoding === "int8" ? (pool.scales[index] ?? 0) * weight : weight;
  const base = index * dim;
  for (let j = 0; j < dim; j++) out[j] = (out[j] ?? 0) + (vectors[base + j] ?? 0) * scale;
}

/** What the pool knows of item `index` for edge filters; undefined without pool meta. */
export function poolMetaAt(pool: RetrievalPool, index: number): PoolItemMeta | undefined {
  const meta = pool.meta;
  if (!meta) return undefined;
  return {
    category: meta.categories[meta.categoryCodes[index] ?? 0] || undefined,
    brand: meta.brands[meta.brandCodes[index] ?? 0] || undefined,
    inStock: ((meta.inStock[index >> 3] ?? 0) & (1 << (index & 7))) !== 0,
  };
}
