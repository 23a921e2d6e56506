import type { RetrievalPool } from "#shared/retrieval/pool-codec";
import { addPoolVector, poolIndexOf } from "./pool-lookup.js";

/** The session's last few items describe its current intent; older ones dilute it. */
export const SESSION_VECTOR_ITEMS = 10;

/**
 * A user embedding usable against the pool: a numeric array (or typed array)
 * of the pool's dimension with at least one non-zero finite value, else undefined.
 * Accepts the raw hot-layer value (`user` entry's `embedding`).
 */
export function usableVector(value: unknown, dim: number): Float32Array | undefined {
  if (!Array.isArray(value) && !(value instanceof Float32Array)) return undefined;
  if (value.length !== dim) return undefined;
  const out = new Float32Array(dim);
  let nonZero = false;
  for (let j = 0; j < dim; j++) {
    const v = value[j];
    if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
    out[j] = v;
    if (v !== 0) nonZero = true;
  }
  return nonZero ? out : undefined;
}

/**
 * The mean of the pool vectors of the session's most recent items (newest
 * first), or undefined when none of them is in the pool.
 */
export function sessionVector(
  pool: RetrievalPool,
  recentItems: readonly string[],
  maxItems = SESSION_VECTOR_ITEMS,
): Float32Array | undefined {
  const sum = new Float32Array(pool.dim);
  let found = 0;
  for (const id of recentItems) {
    if (found === maxItems) break;
    const index = poolIndexOf(pool, id);
    if (index === undefined) continue;
    addPoolVector(pool, index, 1, sum);
    found++;
  }
  if (found === 0) return undefined;
  for (let j = 0; j < sum.length; j++) sum[j] = (sum[j] ?? 0) / found;
  return sum;
}
