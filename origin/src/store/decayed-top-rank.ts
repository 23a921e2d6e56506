import { decayedValue } from "../features/layout.js";
import { splitTopKey } from "../features/storage-read.js";
import type { BinValue } from "./port.js";

/**
 * The ranking a decayed_top map's trim keeps its best entries by: each value
 * decayed from its period's landmark to `now`, ties to the earlier entry in
 * map order, unreadable entries last. One copy of the rule for both places
 * that trim: the LMDB store inside the write (`mapTrimTop`, block and plain
 * maps) and the stream's read-back trim on stores without that operation
 * (`keysToDrop`), so both keep exactly the same keys.
 */

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const SEPARATOR = 58; // ":" (TOP_KEY_SEPARATOR)

/** `topKeyPeriodAt`'s answer when the key's period needs the key string (`topKeyPeriod`). */
export const PERIOD_NEEDS_KEY = Number.NEGATIVE_INFINITY;

/**
 * The period of a `topKey` map key, read from its digits without slicing
 * strings; anything but digits before the first ":" goes through
 * `splitTopKey` (the readers' parser), so both always agree. `NaN` = not a top key.
 */
export function topKeyPeriod(key: string): number {
  let period = 0;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code === SEPARATOR) return i > 0 ? period : Number.NaN;
    if (code < DIGIT_0 || code > DIGIT_9) break;
    period = period * 10 + (code - DIGIT_0);
  }
  return splitTopKey(key)?.period ?? Number.NaN;
}

/**
 * `topKeyPeriod` of a key held as bytes (`length` of them at `at`), without
 * making its string: the digits' period, `NaN` for a key starting with ":",
 * or `PERIOD_NEEDS_KEY` when only the string parser can tell (never for the
 * stream's own keys: 10 digits and ":").
 */
export function topKeyPeriodAt(bytes: Uint8Array, at: number, length: number): number {
  let period = 0;
  for (let i = 0; i < length; i++) {
    const code = bytes[at + i] as number;
    if (code === SEPARATOR) return i > 0 ? period : Number.NaN;
    if (code < DIGIT_0 || code > DIGIT_9) break;
    period = period * 10 + (code - DIGIT_0);
  }
  return PERIOD_NEEDS_KEY;
}

/**
 * Decayed scores of one map's entries at `now`. A map holds one or two
 * periods, so the decay factor (a stored 1 decayed to now) is kept for the
 * last period seen instead of computed per entry.
 */
export class DecayedScores {
  private lastPeriod = Number.NaN;
  private factor = 0;

  constructor(
    private readonly now: number,
    private readonly halfLifeSeconds: number,
  ) {}

  /** An entry's score; a non-number value, a key that is no top key (`NaN` period) or a NaN score rank last. */
  score(stored: BinValue | undefined, period: number): number {
    if (typeof stored !== "number" || Number.isNaN(period)) return Number.NEGATIVE_INFINITY;
    if (period !== this.lastPeriod) {
      this.lastPeriod = period;
      this.factor = decayedValue(1, period, this.now, this.halfLifeSeconds);
    }
    const score = stored * this.factor;
    // NaN would poison the threshold: an unreadable value ranks last, like a non-number.
    return Number.isNaN(score) ? Number.NEGATIVE_INFINITY : score;
  }
}

/**
 * Which entries (scores in map order, `count` of them, more than `keep`) a
 * trim drops so the `keep` best remain: 1 = drop. Ties keep the earlier
 * entry, as a stable sort would. Allocates nothing per entry: the keep-th
 * best score is selected from a copy, and one pass marks the entries below it.
 */
export function dropMask(scores: Float64Array, count: number, keep: number): Uint8Array {
  const drop = new Uint8Array(count);
  // The keep-th best score: `keep` places from the end in ascending order.
  const threshold = nthSmallest(scores.slice(0, count), count - keep);
  let above = 0;
  for (let i = 0; i < count; i++) if ((scores[i] as number) > threshold) above++;
  let tiesKept = keep - above;
  for (let i = 0; i < count; i++) {
    const score = scores[i] as number;
    if (score > threshold) continue;
    if (score === threshold && tiesKept > 0) {
      tiesKept--;
      continue;
    }
    drop[i] = 1;
  }
  return drop;
}

/**
 * Keys of a plain map to drop so that the `keep` best entries by decayed
 * score remain, or `null` if it holds `above` entries or fewer (or is not a
 * map). `keys` is `Object.keys(map)` if the caller has it.
 */
export function plainTopDrops(
  map: BinValue | undefined,
  above: number,
  keep: number,
  halfLifeSeconds: number,
  now: number,
  keys?: readonly string[],
): string[] | null {
  if (typeof map !== "object" || map === null || Array.isArray(map)) return null;
  if (map instanceof Uint8Array) return null;
  const mapKeys = keys ?? Object.keys(map);
  const count = mapKeys.length;
  if (count <= above) return null;
  const decayed = new DecayedScores(now, halfLifeSeconds);
  const scores = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const key = mapKeys[i] as string;
    scores[i] = decayed.score(map[key], topKeyPeriod(key));
  }
  const drop = dropMask(scores, count, keep);
  const out: string[] = [];
  for (let i = 0; i < count; i++) if (drop[i] === 1) out.push(mapKeys[i] as string);
  return out;
}

/**
 * The value a numeric ascending sort would put at index `k` (Hoare's
 * quickselect, reordering `values` in place): linear time, where sorting the
 * ~100 scores of a trimmed map cost more than the rest of the trim together.
 * Scores hold no NaN (`DecayedScores` maps it to -Infinity), so `<` orders them
 * as the sort does (-0 and 0 differ only in sign, which the trim compares alike).
 */
function nthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    // [lo, j] <= pivot <= [i, hi]; between them, all equal the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k] as number;
}
