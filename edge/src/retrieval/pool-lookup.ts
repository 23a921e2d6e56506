import { compareIds, type PoolItemMeta, type RetrievalPool } from "#shared/retrieval/pool-codec";

/**
 * The pool index of an item id, or undefined when the item is not in the
 * pool: a binary search over the pool's sorted ids (no per-pool Map to build
 * on the first request, nothing extra to hold).
 */
export function poolIndexOf(pool: RetrievalPool, id: string): number | undefined {
  const ids = pool.ids;
  let low = 0;
  let high = ids.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const order = compareIds(ids[mid] as string, id);
    if (order === 0) return mid;
    if (order < 0) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
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
