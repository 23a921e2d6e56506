import type { RecordKey } from "../store/port.js";

/**
 * Where features live in the store. One record per entity instance, in set
 * `fe_<entity>`, keyed by the entity key (parts joined by "|"). Each feature
 * has a short bin assigned by the registry. The single source of this layout:
 * the writer, the stream processor, the serving path and the benchmark's raw
 * reads all go through these functions.
 */

export const KEY_PART_SEPARATOR = "|";

/** Map bin: feature bin -> epoch ms of its last write; gives every value its age. */
export const WRITTEN_AT_BIN = "_t";

export function featureSet(entity: string): string {
  return `fe_${entity}`;
}

export function featureRecordKey(ns: string, entity: string, key: string): RecordKey {
  return { ns, set: featureSet(entity), key };
}

export function joinKey(parts: readonly string[]): string {
  return parts.join(KEY_PART_SEPARATOR);
}

export function splitKey(key: string): string[] {
  return key.split(KEY_PART_SEPARATOR);
}

/**
 * Counters that more than one region increments are kept one bin per writing
 * region (`<bin>.<region>`) and summed on read: Aerospike XDR converges per
 * bin, so two regions never overwrite each other's increments. Bins are at
 * most 4 bytes and regions at most 10, inside Aerospike's 15-byte bin limit.
 */
export function regionalBin(bin: string, region: string): string {
  return `${bin}.${region}`;
}

/** Map keys are fixed-width so string order is numeric order (trimming removes a key range). */
export function bucketKey(index: number): string {
  return String(index).padStart(10, "0");
}

/** Separates period and key in a decayed_top map key; readers split at the first one (ids may hold ":"). */
export const TOP_KEY_SEPARATOR = ":";

export function topKey(period: number, key: string): string {
  return `${bucketKey(period)}${TOP_KEY_SEPARATOR}${key}`;
}

/** Index of the time bucket holding `ms` for buckets of `bucketSeconds`. */
export function bucketIndex(ms: number, bucketSeconds: number): number {
  return Math.floor(ms / (bucketSeconds * 1000));
}

/**
 * Forward decay (Cormode et al.): an event at time t adds 2^((t - L) / h) to
 * a sum with landmark L, and the sum is read as stored * 2^(-(now - L) / h).
 * Adds commute, so per-region bins and at-least-once delivery stay simple.
 * The landmark moves every `DECAY_PERIOD_HALF_LIVES` half-lives (a new map key
 * per period) so weights never exceed 2^32 and never overflow a double.
 */
export const DECAY_PERIOD_HALF_LIVES = 32;

export function decayPeriod(ms: number, halfLifeSeconds: number): number {
  return Math.floor(ms / (halfLifeSeconds * 1000 * DECAY_PERIOD_HALF_LIVES));
}

export function decayLandmark(period: number, halfLifeSeconds: number): number {
  return period * halfLifeSeconds * 1000 * DECAY_PERIOD_HALF_LIVES;
}

/** Weight to add for an event at `ms` (relative to its period's landmark). */
export function decayWeight(ms: number, halfLifeSeconds: number): number {
  const landmark = decayLandmark(decayPeriod(ms, halfLifeSeconds), halfLifeSeconds);
  return 2 ** ((ms - landmark) / (halfLifeSeconds * 1000));
}

/** A stored sum of `period` decayed to `now`. */
export function decayedValue(
  stored: number,
  period: number,
  now: number,
  halfLifeSeconds: number,
): number {
  const landmark = decayLandmark(period, halfLifeSeconds);
  return stored * 2 ** (-(now - landmark) / (halfLifeSeconds * 1000));
}
