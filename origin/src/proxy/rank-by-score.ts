import type { RankedItem } from "#shared/api/rank";
import { fixed4 } from "./fixed-4.js";
import { orderByScore } from "./order-by-score.js";

/**
 * The candidates best first, each with its score and its reason (`model
 * score 0.1235`: `toFixed(4)`); equal scores keep the caller's order so
 * answers are stable. A typed merge sort orders them, unless a score is
 * NaN: no comparator orders NaN, so such a list keeps the order
 * `Array.prototype.sort` has always given it.
 */
export function rankByScore(
  candidates: readonly string[],
  scores: Float64Array,
  rows: number,
): RankedItem[] {
  let order: ArrayLike<number>;
  if (hasNaN(scores, rows)) {
    const indices = Array.from({ length: rows }, (_, i) => i);
    indices.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
    order = indices;
  } else {
    order = orderByScore(scores, rows);
  }
  const ranked = new Array<RankedItem>(rows);
  for (let k = 0; k < rows; k++) {
    const i = order[k] as number;
    const score = scores[i] as number;
    ranked[k] = { id: candidates[i] as string, score, reason: `model score ${fixed4(score)}` };
  }
  return ranked;
}

function hasNaN(scores: Float64Array, rows: number): boolean {
  for (let i = 0; i < rows; i++) if (Number.isNaN(scores[i])) return true;
  return false;
}
