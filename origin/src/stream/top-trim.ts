import { decayedValue } from "../features/layout.js";
import { splitTopKey } from "../features/storage-read.js";
import { type BinValue, type RecordKey, StoreError, type StorePort } from "../store/port.js";

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

/**
 * Trims an oversized decayed_top bin with a read-modify-write under a
 * generation check. Only this region's writer touches its `<bin>.<region>`
 * bin, so a conflict means one of our own adds landed: re-read and retry.
 */
export async function trimTop(
  store: StorePort,
  key: RecordKey,
  bin: string,
  top: { n: number; halfLifeSeconds: number },
  now: number,
): Promise<void> {
  for (let attempt = 0; attempt < TRIM_ATTEMPTS; attempt++) {
    const record = await store.get(key, [bin]);
    if (!record) return;
    const drop = keysToDrop(record.bins[bin], top.n, top.halfLifeSeconds, now);
    if (!drop) return;
    try {
      await store.operate(key, [{ op: "mapRemoveKeys", bin, keys: drop }], {
        expectGen: record.gen,
      });
      return;
    } catch (error) {
      if (!(error instanceof StoreError && error.code === "generation_conflict")) throw error;
    }
  }
}
