import type { CacheWindows } from "./cache-windows.js";

/** One cached answer and the times its freshness is judged by. */
export interface CacheEntry<T> {
  value: T;
  /** Epoch ms at which the data behind the value was computed (for `ageMs`). */
  computedAt: number;
  /** Epoch ms at which this entry was stored: fresh and stale windows run from here. */
  storedAt: number;
}

export type Freshness = "fresh" | "stale" | "expired";

/** Durations from the entry's own store time: no absolute dates in the windows. */
export function freshnessOf(
  entry: CacheEntry<unknown>,
  windows: CacheWindows,
  now: number,
): Freshness {
  const age = now - entry.storedAt;
  if (age < windows.freshMs) return "fresh";
  if (age < windows.freshMs + windows.staleMs) return "stale";
  return "expired";
}
