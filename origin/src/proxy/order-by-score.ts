/**
 * Indices `0..n-1` ordered by `scores` descending, ties in index order: a
 * bottom-up merge sort on typed arrays, several times faster than
 * `Array.prototype.sort` with a comparator at 200 items. The order is total
 * for every score but `NaN` (which compares as neither more nor less).
 */
export function orderByScore(scores: ArrayLike<number>, n: number): Uint32Array {
  let from = new Uint32Array(n);
  let to = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      let k = lo;
      while (a < mid && b < hi) {
        const ia = from[a] as number;
        const ib = from[b] as number;
        // `>=` keeps the left (earlier) item first on ties: stable.
        if ((scores[ia] as number) >= (scores[ib] as number)) {
          to[k++] = ia;
          a++;
        } else {
          to[k++] = ib;
          b++;
        }
      }
      while (a < mid) to[k++] = from[a++] as number;
      while (b < hi) to[k++] = from[b++] as number;
    }
    const swap = from;
    from = to;
    to = swap;
  }
  return from;
}
