import { decayedValue } from "../features/layout.js";
import { splitTopKey } from "../features/storage-read.js";
import {
  type BinValue,
  type OperateRequest,
  type RecordKey,
  StoreError,
  type StorePort,
} from "../store/port.js";

/**
 * A decayed_top map is trimmed when it holds more than 4n entries, down to
 * the 2n best by decayed score: the served top n stays exact while a key
 * rising from rank 2n has room, and trims happen once per ~2n new keys.
 */
export const TOP_TRIM_ABOVE = 4;
export const TOP_TRIM_TO = 2;
/** Generation conflicts retried per trim; beyond that the next batch's write tries again. */
const TRIM_ATTEMPTS = 3;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const SEPARATOR = 58; // ":" (TOP_KEY_SEPARATOR)

/**
 * The period of a `topKey` map key, read from its digits without slicing
 * strings; anything but digits before the first ":" goes through
 * `splitTopKey` (the readers' parser), so both always agree. `NaN` = not a top key.
 */
function periodOf(key: string): number {
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
 * Map keys to drop so that the `TOP_TRIM_TO * n` best entries by decayed
 * score remain, or `null` if the map is within bounds. Ties keep the earlier
 * entry (map order), as a stable sort would. Runs on every oversized map of
 * a flush, so it allocates no object per entry: scores go into a typed
 * array, the keep-th best score is selected from a copy, and one pass picks
 * the keys below it.
 */
export function keysToDrop(
  map: BinValue | undefined,
  n: number,
  halfLifeSeconds: number,
  now: number,
  mapKeys?: readonly string[],
): string[] | null {
  if (typeof map !== "object" || map === null || Array.isArray(map)) return null;
  if (map instanceof Uint8Array) return null;
  const keys = mapKeys ?? Object.keys(map);
  const count = keys.length;
  if (count <= TOP_TRIM_ABOVE * n) return null;
  const scores = new Float64Array(count);
  // A map holds one or two periods: the decay factor (a stored 1 decayed to now) is per period.
  let lastPeriod = Number.NaN;
  let factor = 0;
  for (let i = 0; i < count; i++) {
    const stored = map[keys[i] as string];
    const period = periodOf(keys[i] as string);
    if (typeof stored !== "number" || Number.isNaN(period)) {
      scores[i] = Number.NEGATIVE_INFINITY;
      continue;
    }
    if (period !== lastPeriod) {
      lastPeriod = period;
      factor = decayedValue(1, period, now, halfLifeSeconds);
    }
    const score = stored * factor;
    // NaN would poison the threshold: an unreadable value ranks last, like a non-number.
    scores[i] = Number.isNaN(score) ? Number.NEGATIVE_INFINITY : score;
  }
  const keep = TOP_TRIM_TO * n;
  // The keep-th best score: `keep` places from the end in ascending order.
  const threshold = nthSmallest(scores.slice(), count - keep);
  let above = 0;
  for (let i = 0; i < count; i++) if ((scores[i] as number) > threshold) above++;
  let tiesKept = keep - above;
  const drop: string[] = [];
  for (let i = 0; i < count; i++) {
    const score = scores[i] as number;
    if (score > threshold) continue;
    if (score === threshold && tiesKept > 0) {
      tiesKept--;
      continue;
    }
    drop.push(keys[i] as string);
  }
  return drop;
}

/**
 * The value a numeric ascending sort would put at index `k` (Hoare's
 * quickselect, reordering `values` in place): linear time, where sorting the
 * ~100 scores of a trimmed map cost more than the rest of the trim together.
 * Scores hold no NaN (`keysToDrop` maps it to -Infinity), so `<` orders them as
 * the sort does (-0 and 0 differ only in sign, which the trim compares alike).
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

/** A decayed_top bin due for trimming. */
export interface TopTrim {
  key: RecordKey;
  bin: string;
  top: { n: number; halfLifeSeconds: number };
}

/** A trim whose map is at hand: the write that grew it read it back, at generation `gen`. */
export interface ReadTopTrim extends TopTrim {
  map: BinValue;
  gen: number;
  /**
   * `Object.keys(map)` if the caller has it (it counted the entries with it):
   * listing a large map's keys is the dearest step of a trim.
   */
  keys?: readonly string[];
}

/** The trim write of a map read at `gen`, or `null` if it is within bounds. */
function trimRequest(
  trim: TopTrim,
  map: BinValue | undefined,
  gen: number,
  now: number,
  keys?: readonly string[],
): OperateRequest | null {
  const drop = keysToDrop(map, trim.top.n, trim.top.halfLifeSeconds, now, keys);
  if (!drop) return null;
  return {
    key: trim.key,
    operations: [{ op: "mapRemoveKeys", bin: trim.bin, keys: drop }],
    options: { expectGen: gen },
  };
}

/**
 * Trims oversized decayed_top bins under a generation check, in one
 * `operateMany` per round. Maps the writes read back (`read`) are trimmed
 * from that copy; the others (`trims`: only their size was read) are read
 * first, in one batched read. Only this region's writer touches its
 * `<bin>.<region>` bin, so a conflict means one of our own adds landed:
 * those are re-read and retried. Resolves to the number of records that
 * failed otherwise (the next write retries them).
 */
export async function trimTops(
  store: StorePort,
  trims: readonly TopTrim[],
  now: number,
  read: readonly ReadTopTrim[] = [],
): Promise<number> {
  let todo = trims;
  let known = read;
  for (let attempt = 0; attempt < TRIM_ATTEMPTS && todo.length + known.length > 0; attempt++) {
    const requests: OperateRequest[] = [];
    const pending: TopTrim[] = [];
    for (const trim of known) {
      const request = trimRequest(trim, trim.map, trim.gen, now, trim.keys);
      if (request) {
        requests.push(request);
        pending.push(trim);
      }
    }
    if (todo.length > 0) {
      const bins = [...new Set(todo.map((trim) => trim.bin))];
      const records = await store.batchGet(
        todo.map((trim) => trim.key),
        bins,
      );
      todo.forEach((trim, i) => {
        const record = records[i];
        if (!record) return;
        const request = trimRequest(trim, record.bins[trim.bin], record.gen, now);
        if (request) {
          requests.push(request);
          pending.push(trim);
        }
      });
    }
    if (requests.length === 0) return 0;
    const results = await store.operateMany(requests);
    const conflicts: TopTrim[] = [];
    let failed = 0;
    results.forEach((result, i) => {
      if (!(result instanceof StoreError)) return;
      if (result.code === "generation_conflict") conflicts.push(pending[i] as TopTrim);
      else failed++;
    });
    if (failed > 0) return failed + conflicts.length;
    // Conflicts are re-read: their copies are out of date (the `todo` path reads the store).
    todo = conflicts;
    known = [];
  }
  return 0;
}
