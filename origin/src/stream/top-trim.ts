import { plainTopDrops } from "../store/decayed-top-rank.js";
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

/**
 * Map keys to drop so that the `TOP_TRIM_TO * n` best entries by decayed
 * score remain, or `null` if the map is within bounds (the rule of
 * `decayed-top-rank.ts`, which the LMDB store's `mapTrimTop` applies too).
 */
export function keysToDrop(
  map: BinValue | undefined,
  n: number,
  halfLifeSeconds: number,
  now: number,
  mapKeys?: readonly string[],
): string[] | null {
  return plainTopDrops(map, TOP_TRIM_ABOVE * n, TOP_TRIM_TO * n, halfLifeSeconds, now, mapKeys);
}

/** The bound a `mapTrimTop` operation enforces on a decayed_top map of `n` served entries. */
export interface TopTrimBound {
  above: number;
  keep: number;
  halfLifeSeconds: number;
}

export function topTrimBound(top: { n: number; halfLifeSeconds: number }): TopTrimBound {
  return {
    above: TOP_TRIM_ABOVE * top.n,
    keep: TOP_TRIM_TO * top.n,
    halfLifeSeconds: top.halfLifeSeconds,
  };
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
