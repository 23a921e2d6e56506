/**
 * The store port: an Aerospike-shaped record store. Records are addressed by
 * namespace / set / key and hold named bins, with a TTL and a generation. Both
 * adapters (LMDB embedded, Aerospike) implement exactly this contract, proven
 * by one shared test suite (`store.contract.ts`).
 */

/** A bin value. Numbers that are integers are stored as integers, others as doubles. */
export type BinValue =
  | number
  | string
  | boolean
  | Uint8Array
  | BinValue[]
  | { [key: string]: BinValue };

/** Bins of a record; on writes a `null` bin deletes that bin (as in Aerospike). */
export type Bins = Record<string, BinValue>;
export type BinsPatch = Record<string, BinValue | null>;

export interface RecordKey {
  ns: string;
  set: string;
  key: string;
}

export interface StoreRecord {
  bins: Bins;
  /** Starts at 1 on create, +1 on every write. */
  gen: number;
  /** Epoch ms after which the record is gone; `null` never expires. */
  expiresAt: number | null;
}

/** TTL in seconds (> 0), or one of these (Aerospike's own sentinel values). */
export const TTL_NEVER = -1;
/** Keep the record's current expiry on update (a new record never expires). */
export const TTL_KEEP = -2;

export interface WriteOptions {
  /** Seconds; `TTL_NEVER` or `TTL_KEEP`. Default: put `TTL_NEVER`, operate `TTL_KEEP`. */
  ttl?: number;
  /**
   * Optimistic concurrency: write only if the record's generation equals this.
   * `0` means "only if the record does not exist". A mismatch throws
   * `StoreError` with code `generation_conflict`.
   */
  expectGen?: number;
}

export interface PutOptions extends WriteOptions {
  /** Replace the whole record instead of merging bins into it. */
  replace?: boolean;
}

/** One step of an atomic `operate`; all steps apply to one record under one lock. */
export type Operation =
  /** Adds to a number bin (missing = 0). `float` stores a double even for whole numbers. */
  | { op: "add"; bin: string; value: number; float?: boolean }
  /** Sets a bin (`null` deletes it). */
  | { op: "put"; bin: string; value: BinValue | null }
  /**
   * Pushes values onto a list bin. `front` puts them first in the order given
   * (newest-first lists); `unique` removes earlier copies of the values first;
   * `cap` then keeps only that many items at the pushed end.
   */
  | {
      op: "listPush";
      bin: string;
      values: BinValue[];
      front?: boolean;
      unique?: boolean;
      cap?: number;
    }
  /** Sets `key` in a map bin. */
  | { op: "mapPut"; bin: string; key: string; value: BinValue }
  /** Sets several keys of a map bin in one step (e.g. the write times of several bins). */
  | { op: "mapPutItems"; bin: string; items: { [key: string]: BinValue } }
  /** Adds to a number under `key` in a map bin (missing = 0). */
  | { op: "mapAdd"; bin: string; key: string; value: number; float?: boolean }
  /**
   * Removes every entry of a map bin whose key sorts below `key` (string
   * order; keys written with `bucketKey` are fixed-width, so this trims old
   * time buckets). A missing bin stays missing.
   */
  | { op: "mapRemoveBelow"; bin: string; key: string }
  /** Removes these keys from a map bin (absent keys and a missing bin are fine). */
  | { op: "mapRemoveKeys"; bin: string; keys: string[] }
  /**
   * Keeps a decayed_top map bin (keys `topKey(period, member)`) within a
   * bound after the preceding steps: if it holds more than `above` entries,
   * removes all but the `keep` best by decayed score at `now` (each value
   * decayed from its period's landmark with `halfLifeSeconds`, as
   * `decayedValue`; ties keep the earlier entry in map order; non-number
   * values and keys that are no top keys rank last). A missing bin stays
   * missing. Only on stores with `supportsTopTrim` (others refuse it with
   * `invalid_argument`): one write instead of reading the map back and
   * removing keys in a second one.
   */
  | {
      op: "mapTrimTop";
      bin: string;
      above: number;
      keep: number;
      halfLifeSeconds: number;
      now: number;
    }
  /**
   * Reads the number of entries of a map bin (0 if the bin is missing) after
   * the preceding steps, into `bins[bin]`: cheaper than reading a big map to
   * decide whether to trim it. Not together with a `read` of the same bin.
   */
  | { op: "mapSize"; bin: string }
  /** Reads a bin's value after the preceding steps; returned in `bins`. */
  | { op: "read"; bin: string };

export interface OperateResult {
  gen: number;
  /** Values of the bins named by `read` steps (absent if the bin does not exist). */
  bins: Bins;
}

/** One record's part of `operateMany`. */
export interface OperateRequest {
  key: RecordKey;
  operations: readonly Operation[];
  options?: WriteOptions;
}

export type StoreErrorCode =
  | "generation_conflict"
  | "invalid_argument"
  | "bin_type_mismatch"
  | "record_too_big"
  | "timeout"
  | "unavailable";

/** An expected store failure with a stable code; adapters map their native errors onto it. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** A write transaction's synchronous reads and writes (`StorePort.transact`). */
export interface StoreTransaction {
  /** As `StorePort.batchGet`, seeing every earlier transaction's writes and this one's so far. */
  batchGet(keys: readonly RecordKey[], bins?: readonly string[]): (StoreRecord | null)[];
  /** As `StorePort.operateMany`: validated first, each record atomic, failures returned. */
  operateMany(requests: readonly OperateRequest[]): (OperateResult | StoreError)[];
}

export interface StorePort {
  /** Which adapter this is, for logs and /healthz. */
  readonly kind: "lmdb" | "aerospike";
  /**
   * Whether `operate` takes `mapTrimTop`. LMDB ranks the map in the write;
   * Aerospike's map operations cannot rank values decayed across periods, so
   * there the caller reads the map (or its size) back and removes keys with
   * `mapRemoveKeys` under a generation check.
   */
  readonly supportsTopTrim: boolean;
  /** The record, or `null` if it is missing or expired. `bins` limits what is read. */
  get(key: RecordKey, bins?: readonly string[]): Promise<StoreRecord | null>;
  /** One call for many keys; results in the same order, `null` for missing. */
  batchGet(keys: readonly RecordKey[], bins?: readonly string[]): Promise<(StoreRecord | null)[]>;
  /** Merges bins into the record (creating it); returns the new generation. */
  put(key: RecordKey, bins: BinsPatch, options?: PutOptions): Promise<{ gen: number }>;
  /** `true` if a live record was removed. */
  remove(key: RecordKey): Promise<boolean>;
  /** Applies all operations atomically to one record (creating it). */
  operate(
    key: RecordKey,
    operations: readonly Operation[],
    options?: WriteOptions,
  ): Promise<OperateResult>;
  /**
   * Many records' `operate`s in one call (one LMDB transaction, Aerospike
   * batch writes): each record's operations are atomic on that record, the
   * records are independent (give each key once: the order of two writes to
   * one record is not defined). Results are in request order; a record that
   * failed holds its `StoreError` (the others are applied). Rejects only if
   * the call as a whole failed, in which case any record may or may not
   * have been written (as for a timed-out `operate`).
   */
  operateMany(requests: readonly OperateRequest[]): Promise<(OperateResult | StoreError)[]>;
  /**
   * LMDB only (absent on Aerospike): runs `body` inside one write
   * transaction and resolves with its result once the transaction is
   * committed and flushed to disk. Its reads see every earlier write, so a
   * read-compute-write needs no generation checks and no second round trip;
   * and a transaction queued while the previous one is being flushed runs
   * during that flush. A body that throws rejects the call, but what it
   * wrote before throwing is committed: compute first, then write.
   */
  transact?<T>(body: (tx: StoreTransaction) => T): Promise<T>;
  /**
   * Every live record of a set, in no particular order (a full scan: for
   * small sets such as the event log's pending deliveries, never for feature
   * sets). Keys are not returned (Aerospike keeps only a digest unless the
   * writer sent the key): store what you need to find a record again in a bin.
   */
  scan(ns: string, set: string, bins?: readonly string[]): Promise<StoreRecord[]>;
  /** Cheap liveness probe for /healthz. */
  ping(): Promise<boolean>;
  /** Waits for in-flight work and releases the store. */
  close(): Promise<void>;
}

/** Aerospike's limits, enforced by both adapters so LMDB never accepts what Aerospike refuses. */
export const LIMITS = {
  binNameBytes: 15,
  setNameBytes: 63,
  namespaceBytes: 31,
  keyBytes: 1024,
} as const;
