import type { FeatureDefinition, FeatureValue } from "#shared/features/definitions";
import type { Bins, BinValue } from "../store/port.js";
import {
  bucketIndex,
  decayedValue,
  regionalBin,
  TOP_KEY_SEPARATOR,
  WRITTEN_AT_BIN,
} from "./layout.js";

/**
 * Reads features back out of their storage layout (docs/features.md, "Storage
 * layout"): pure functions over a record's bins, no I/O. Serving reads the
 * bins named by `featureBins` and hands the record to `decodeFeature`.
 */

/** A served value: vectors as Float32Array inside the origin (plain arrays on the wire). */
export type DecodedValue = FeatureValue | Float32Array;

export interface Decoded {
  /** `null` when nothing is stored for the feature (serve the default or `missing`). */
  value: DecodedValue | null;
  /** Epoch ms of the last write (`_t[<bin>]`), `null` if unknown. */
  writtenAt: number | null;
}

export interface DecodeContext {
  /** Every region that may have written a per-region bin (the registry's `regions`). */
  regions: readonly string[];
  /** Epoch ms the value is read at: windows and decay are relative to it. */
  now: number;
  /**
   * Another feature of the same entity by name: the inputs of a
   * `smoothed_ratio`. Without it a ratio decodes as missing.
   */
  sibling?: (name: string) => FeatureDefinition | undefined;
}

type Storable = Pick<FeatureDefinition, "bin" | "type" | "storage">;

const NOTHING: Decoded = { value: null, writtenAt: null };

function isMap(value: BinValue | undefined): value is { [key: string]: BinValue } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

function writtenAt(bins: Bins, bin: string): number | null {
  const stamps = bins[WRITTEN_AT_BIN];
  if (!isMap(stamps)) return null;
  const stamp = stamps[bin];
  return typeof stamp === "number" ? stamp : null;
}

/** The per-region maps of a counter that exist in the record (none = never written). */
function regionalMaps(
  bins: Bins,
  bin: string,
  regions: readonly string[],
): { [key: string]: BinValue }[] {
  const maps: { [key: string]: BinValue }[] = [];
  for (const region of regions) {
    const map = bins[regionalBin(bin, region)];
    if (isMap(map)) maps.push(map);
  }
  return maps;
}

/** Splits a decayed_top map key `bucketKey(period) + ":" + key`. */
export function splitTopKey(mapKey: string): { period: number; key: string } | null {
  const at = mapKey.indexOf(TOP_KEY_SEPARATOR);
  if (at <= 0) return null;
  const period = Number(mapKey.slice(0, at));
  if (!Number.isInteger(period)) return null;
  return { period, key: mapKey.slice(at + 1) };
}

/**
 * Decayed scores per key, summed over every period and every given map, at
 * `now`. Shared by serving (`decayed_top`) and the writer's trimming.
 */
export function decayedScores(
  maps: readonly { [key: string]: BinValue }[],
  halfLifeSeconds: number,
  now: number,
): Map<string, number> {
  const scores = new Map<string, number>();
  for (const map of maps) {
    for (const [mapKey, stored] of Object.entries(map)) {
      if (typeof stored !== "number") continue;
      const parsed = splitTopKey(mapKey);
      if (!parsed) continue;
      const score = decayedValue(stored, parsed.period, now, halfLifeSeconds);
      scores.set(parsed.key, (scores.get(parsed.key) ?? 0) + score);
    }
  }
  return scores;
}

/** The `n` best keys by score, ties broken by key so every reader ranks alike. */
export function topKeys(scores: ReadonlyMap<string, number>, n: number): string[] {
  return [...scores]
    .filter(([, score]) => score > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([key]) => key);
}

function decodeValue(feature: Storable, bins: Bins): Decoded {
  const stored = bins[feature.bin];
  if (stored === undefined) return NOTHING;
  let value: DecodedValue;
  if (feature.type === "vector" && stored instanceof Uint8Array) {
    if (stored.byteLength % 4 !== 0) return NOTHING;
    // Copied: the store's buffer may be unaligned or shared, Float32Array needs its own.
    value = new Float32Array(stored.slice().buffer);
  } else if (stored instanceof Uint8Array) {
    return NOTHING;
  } else {
    value = stored as FeatureValue;
  }
  return { value, writtenAt: writtenAt(bins, feature.bin) };
}

/** Sum of the buckets inside the window ending at `now`, over all regions; `null` if none stored. */
function windowSum(
  bins: Bins,
  bin: string,
  windowSeconds: number,
  bucketSeconds: number,
  regions: readonly string[],
  now: number,
): number | null {
  const maps = regionalMaps(bins, bin, regions);
  if (maps.length === 0) return null;
  const current = bucketIndex(now, bucketSeconds);
  const first = current - Math.ceil(windowSeconds / bucketSeconds) + 1;
  let sum = 0;
  for (const map of maps) {
    for (const [key, count] of Object.entries(map)) {
      const index = Number(key);
      if (typeof count === "number" && index >= first && index <= current) sum += count;
    }
  }
  return sum;
}

function decodeRatio(
  feature: Storable & { storage: { kind: "smoothed_ratio" } },
  bins: Bins,
  context: DecodeContext,
): Decoded {
  const numerator = context.sibling?.(feature.storage.numerator);
  const denominator = context.sibling?.(feature.storage.denominator);
  if (!numerator || !denominator) return NOTHING;
  const num = decodeFeature(numerator, bins, context);
  const den = decodeFeature(denominator, bins, context);
  if (typeof num.value !== "number" && typeof den.value !== "number") return NOTHING;
  const a = feature.storage.priorSuccesses;
  const b = feature.storage.priorFailures;
  const successes = typeof num.value === "number" ? num.value : 0;
  const trials = typeof den.value === "number" ? den.value : 0;
  const total = trials + a + b;
  const stamps = [num.writtenAt, den.writtenAt].filter((t): t is number => t !== null);
  return {
    value: total > 0 ? (successes + a) / total : 0,
    writtenAt: stamps.length > 0 ? Math.max(...stamps) : null,
  };
}

/**
 * The value of one feature in a record's bins, decoded by its storage kind.
 *
 * @example
 * const record = await store.get(key, featureBins(def, { regions }));
 * const { value, writtenAt } = decodeFeature(def, record?.bins ?? {}, { regions, now: Date.now() });
 */
export function decodeFeature(feature: Storable, bins: Bins, context: DecodeContext): Decoded {
  const storage = feature.storage;
  switch (storage.kind) {
    case "value":
      return decodeValue(feature, bins);
    case "window_count": {
      const sum = windowSum(
        bins,
        feature.bin,
        storage.windowSeconds,
        storage.bucketSeconds,
        context.regions,
        context.now,
      );
      return sum === null ? NOTHING : { value: sum, writtenAt: writtenAt(bins, feature.bin) };
    }
    case "decayed_sum": {
      const maps = regionalMaps(bins, feature.bin, context.regions);
      if (maps.length === 0) return NOTHING;
      let sum = 0;
      for (const map of maps) {
        for (const [key, stored] of Object.entries(map)) {
          const period = Number(key);
          if (typeof stored === "number" && Number.isInteger(period)) {
            sum += decayedValue(stored, period, context.now, storage.halfLifeSeconds);
          }
        }
      }
      return { value: sum, writtenAt: writtenAt(bins, feature.bin) };
    }
    case "decayed_top": {
      const maps = regionalMaps(bins, feature.bin, context.regions);
      if (maps.length === 0) return NOTHING;
      const scores = decayedScores(maps, storage.halfLifeSeconds, context.now);
      return {
        value: topKeys(scores, storage.n),
        writtenAt: writtenAt(bins, feature.bin),
      };
    }
    case "smoothed_ratio":
      return decodeRatio({ ...feature, storage }, bins, context);
  }
}

/**
 * The bins a feature's value is read from (always with `_t` for its age), so
 * serving reads only those. A `smoothed_ratio` reads its two inputs' bins.
 */
export function featureBins(
  feature: Storable,
  context: Pick<DecodeContext, "regions" | "sibling">,
): string[] {
  const storage = feature.storage;
  switch (storage.kind) {
    case "value":
      return [feature.bin, WRITTEN_AT_BIN];
    case "window_count":
    case "decayed_sum":
    case "decayed_top":
      return [...context.regions.map((r) => regionalBin(feature.bin, r)), WRITTEN_AT_BIN];
    case "smoothed_ratio": {
      const out = new Set<string>([WRITTEN_AT_BIN]);
      for (const name of [storage.numerator, storage.denominator]) {
        const input = context.sibling?.(name);
        if (input && input.storage.kind !== "smoothed_ratio") {
          for (const bin of featureBins(input, context)) out.add(bin);
        }
      }
      return [...out];
    }
  }
}
