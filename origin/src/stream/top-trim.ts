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

/**
 * Map keys to drop so that the `keep` best entries by decayed score remain,
 * or `null` if the map is within bounds.
 */
export function keysToDrop(
  map: BinValue | undefined,
  n: number,
  halfLifeSeconds: number,
  now: number,
): string[] | null {
  if (typeof map !== "object" || map === null || Array.isArray(map)) return null;
  if (map instanceof Uint8Array) return null;
  const entries = Object.entries(map);
  if (entries.length <= TOP_TRIM_ABOVE * n) return null;
  const scored = entries.map(([key, stored]) => {
    const parsed = splitTopKey(key);
    const score =
      parsed && typeof stored === "number"
        ? decayedValue(stored, parsed.period, now, halfLifeSeconds)
        : Number.NEGATIVE_INFINITY;
    return { key, score };
  });
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(TOP_TRIM_TO * n).map((entry) => entry.key);
}

/** Whether a decayed_top map of `size` entries is due for trimming. */
export function needsTrim(size: BinValue | undefined, n: number): boolean {
  return typeof size === "number" && size > TOP_TRIM_ABOVE * n;
}

/** A decayed_top bin due for trimming. */
export interface TopTrim {
  key: RecordKey;
  bin: string;
  top: { n: number; halfLifeSeconds: number };
}

/**
 * Trims oversized decayed_top bins with a read-modify-write under a
 * generation check: one batched read and one `operateMany` per round. Only
 * this region's writer touches its `<bin>.<region>` bin, so a conflict means
 * one of our own adds landed: those are re-read and retried. Resolves to the
 * number of records that failed otherwise (the next write retries them).
 */
export async function trimTops(
  store: StorePort,
  trims: readonly TopTrim[],
  now: number,
): Promise<number> {
  let todo = trims;
  for (let attempt = 0; attempt < TRIM_ATTEMPTS && todo.length > 0; attempt++) {
    const bins = [...new Set(todo.map((trim) => trim.bin))];
    const records = await store.batchGet(
      todo.map((trim) => trim.key),
      bins,
    );
    const requests: OperateRequest[] = [];
    const pending: TopTrim[] = [];
    todo.forEach((trim, i) => {
      const record = records[i];
      if (!record) return;
      const drop = keysToDrop(record.bins[trim.bin], trim.top.n, trim.top.halfLifeSeconds, now);
      if (!drop) return;
      requests.push({
        key: trim.key,
        operations: [{ op: "mapRemoveKeys", bin: trim.bin, keys: drop }],
        options: { expectGen: record.gen },
      });
      pending.push(trim);
    });
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
    todo = conflicts;
  }
  return 0;
}
