import { randomUUID } from "node:crypto";
import { asBinary, type Binary, type Database, open, type RootDatabase } from "lmdb";
import {
  type Bins,
  type BinsPatch,
  type OperateRequest,
  type OperateResult,
  type Operation,
  type PutOptions,
  type RecordKey,
  StoreError,
  type StorePort,
  type StoreRecord,
  type StoreTransaction,
  TTL_KEEP,
  TTL_NEVER,
  type WriteOptions,
} from "../port.js";
import {
  assertValidBins,
  assertValidKey,
  assertValidOperations,
  assertValidTtl,
} from "../validate.js";
import { applyOperations } from "./apply-operations.js";
import { decodeFromChunks } from "./chunked-record-decoder.js";
import {
  decodingWritable,
  encoderSupportsNumberMaps,
  withNumberMaps,
} from "./number-map-extension.js";
import { type SetEntry, SetReadCache } from "./set-read-cache.js";

/** What is stored per record: bins, generation, expiry (epoch ms, 0 = never). */
interface StoredRecord {
  b: Bins;
  g: number;
  e: number;
}

type StoredKey = [string, string, string];
/** A record set: namespace and set name (the key of its version). */
type SetKey = [string, string];
/** Expiry index entry: records ordered by when they expire, for the sweeper. */
type ExpiryKey = [number, string, string, string];

export interface LmdbStoreOptions {
  path: string;
  /** How often expired records are deleted; reads hide them before that. */
  sweepIntervalMs?: number;
  /** Upper bound of records deleted per sweep transaction, so none holds the write lock long. */
  sweepBatch?: number;
  /** Injected clock for tests. */
  now?: () => number;
  /**
   * Decoded records kept by `get`/`batchGet`, valid while their set's version
   * is unchanged (`set-read-cache.ts`); 0 turns the cache off. Default 50,000.
   */
  readCacheRecords?: number;
  /**
   * One expiry-index entry per expiry time and set per write transaction,
   * listing its records (up to `EXPIRY_GROUP_IDS`), instead of one entry per
   * record. For a store whose transactions create many records with one TTL
   * (the event log: a dedupe record per event), where the per-record entry's
   * insert (and its delete when swept) was a third of the record's write. The
   * sweep reads both forms, so entries written either way are swept.
   */
  groupedExpiryIndex?: boolean;
}

/** Most records one grouped expiry-index entry lists (a bounded value, a bounded sweep step). */
const EXPIRY_GROUP_IDS = 1_000;

/** The records of one set that a write transaction gives one expiry time. */
interface ExpiryGroup {
  expiresAt: number;
  ns: string;
  set: string;
  ids: string[];
}

/** About 50–100 MB of decoded wide feature records. */
const DEFAULT_READ_CACHE_RECORDS = 50_000;

/** The part of lmdb-js's msgpackr encoder the number-map check uses (lmdb-js types it as `any`). */
interface RecordEncoder {
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** lmdb-js's `put` with options, as it behaves inside a write transaction. */
interface NoOverwritePut {
  put(key: StoredKey, value: Binary, options: { noOverwrite: true }): { result?: boolean };
}

/** A create-only record's encoded value and what its operations read, shared by the transaction's like creates. */
interface CreatedValue {
  operations: readonly Operation[];
  expiresAt: number;
  value: Binary;
  reads: Bins;
}

/** A write that lost its generation check, returned out of the transaction instead of thrown. */
const CONFLICT = Symbol("generation_conflict");

/**
 * msgpackr keeps the shapes of record objects under this key (in the records
 * database itself), so a record encodes its bin names once per shape instead
 * of once per record: smaller records and much faster decoding of the wide
 * feature records the serving path reads. Exported for raw readers (bench).
 */
export const RECORD_STRUCTURES_KEY = Symbol.for("reco.record-structures");

/**
 * Objects worth a shared record structure: records, bins and `_t` maps, keyed
 * by short bin names. Maps keyed by data (`bucketKey`s are 10 digits, top keys
 * longer) are written as msgpack maps.
 */
function isFixedShape(object: object): boolean {
  for (const key in object) return key.length < 10;
  return true;
}

/**
 * msgpackr options lmdb-js passes on (its types do not list them). Maps with
 * data keys (time buckets, decayed-top keys) change keys on most writes: as
 * msgpack maps they skip defining a new record structure each time (~2x
 * cheaper to encode); they still decode to plain objects, and records
 * written before still read.
 */
const MSGPACK_OPTIONS = {
  useRecords: isFixedShape,
  mapsAsObjects: true,
  // msgpackr shares 32 record shapes by default; a store holding the demo catalog, a ranking
  // model's graph features and the stream's records has more distinct bin sets than that, and
  // records past the 32nd carry their shape inline and decode as slow dictionaries (seen as
  // `recordDefinition` in origin profiles). Raising the limit is compatible both ways with
  // records written before (checked); 1,024 still bounds a store with pathological bin sets.
  maxSharedStructures: 1024,
};

/** The read cache's name of a record set. */
function setId(ns: string, set: string): string {
  return `${ns}\u0000${set}`;
}

function storedKey(key: RecordKey): StoredKey {
  return [key.ns, key.set, key.key];
}

/**
 * The requested bins of a freshly decoded record. When the record holds no
 * other bins (a feature read names every bin of its group: the common case),
 * the decoded object is returned as it is: it is this read's own copy, and
 * msgpackr built it with one fixed shape, whereas copying 50 bins key by key
 * makes V8 fall back to a slow dictionary object (half the cost of a
 * 100-record read).
 */
function pickBins(bins: Bins, names: BinNames | undefined): Bins {
  if (!names) return bins;
  let covered = true;
  for (const name in bins) {
    if (!names.set.has(name)) {
      covered = false;
      break;
    }
  }
  if (covered) return bins;
  const picked: Bins = {};
  for (const name of names.list) {
    const value = bins[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Requested bin names, with a set for the coverage check (built once per call, not per record). */
interface BinNames {
  list: readonly string[];
  set: ReadonlySet<string>;
}

function binNames(bins: readonly string[] | undefined): BinNames | undefined {
  return bins ? { list: bins, set: new Set(bins) } : undefined;
}

function conflict(key: RecordKey, expectGen: number): StoreError {
  return new StoreError(
    "generation_conflict",
    expectGen === 0
      ? `record ${key.set}/${key.key} already exists`
      : `record ${key.set}/${key.key} is not at generation ${expectGen}`,
  );
}

/**
 * The embedded store: LMDB through `lmdb-js`. Reads are synchronous memory-map
 * lookups; writes are batched into transactions on LMDB's writer and resolve
 * once committed and flushed to disk (lmdb-js's default), so an acknowledged
 * write survives a crash. TTL is honoured on read and expired records are swept
 * in the background through an expiry index.
 */
export class LmdbStore implements StorePort {
  readonly kind = "lmdb" as const;
  /** `mapTrimTop` ranks the map inside the write (`apply-operations.ts`). */
  readonly supportsTopTrim = true;
  private readonly root: RootDatabase;
  private readonly records: Database<StoredRecord, StoredKey>;
  /** `true` for one record's entry (the 4th key part is its id), else the ids of a group. */
  private readonly expiries: Database<true | string[], ExpiryKey>;
  /** Per record set, a number every write transaction that changes one of its records bumps. */
  private readonly versions: Database<number, SetKey>;
  private readonly readCache: SetReadCache<StoredRecord> | null;
  /** Sets the current write transaction changed, bumped once each as it ends. */
  private readonly touchedSets = new Map<string, SetKey>();
  /** With `groupedExpiryIndex`: the current write transaction's expiry groups, written as it ends. */
  private readonly expiryGroups: Map<string, ExpiryGroup> | null;
  /** Makes grouped entries' keys unique: this handle's id and a count. */
  private readonly groupPrefix = `\u0000${randomUUID()}:`;
  private groupCount = 0;
  /** The expiry group the transaction added to last. */
  private lastGroup: ExpiryGroup | null = null;
  /** The current write transaction's last create-only value (`createOnly`). */
  private lastCreated: CreatedValue | null = null;
  private readonly now: () => number;
  private readonly sweepBatch: number;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private sweeping: Promise<number> | null = null;
  private closed = false;
  /** Large number maps are written in the block encoding (`number-map-extension.ts`). */
  private readonly numberMaps: boolean;
  /** Records decode from bytes that never change afterwards (`decodeFromChunks`). */
  private readonly stableDecoding: boolean;

  constructor(options: LmdbStoreOptions) {
    this.now = options.now ?? Date.now;
    // 5,000 deletes is a few ms of writer time; the next round of the same sweep takes the rest.
    this.sweepBatch = options.sweepBatch ?? 5_000;
    this.root = open({ path: options.path, maxDbs: 4 });
    this.records = this.root.openDB<StoredRecord, StoredKey>({
      name: "records",
      sharedStructuresKey: RECORD_STRUCTURES_KEY,
      ...MSGPACK_OPTIONS,
    });
    this.expiries = this.root.openDB<true | string[], ExpiryKey>({ name: "expiries" });
    this.versions = this.root.openDB<number, SetKey>({ name: "set-versions" });
    const cacheRecords = options.readCacheRecords ?? DEFAULT_READ_CACHE_RECORDS;
    this.readCache = cacheRecords > 0 ? new SetReadCache(cacheRecords) : null;
    this.expiryGroups = options.groupedExpiryIndex ? new Map() : null;
    this.stableDecoding = decodeFromChunks(this.records);
    this.numberMaps = encoderSupportsNumberMaps(
      (this.records as unknown as { encoder: RecordEncoder }).encoder,
    );
    // Every 10 s by default: expired records are already invisible, so this only reclaims space.
    this.sweepTimer = setInterval(
      () => void this.sweepExpired(),
      options.sweepIntervalMs ?? 10_000,
    );
    this.sweepTimer.unref();
  }

  private live(stored: StoredRecord | undefined, now = this.now()): StoredRecord | undefined {
    if (!stored) return undefined;
    return stored.e !== 0 && stored.e <= now ? undefined : stored;
  }

  private toRecord(stored: StoredRecord, bins: BinNames | undefined): StoreRecord {
    return {
      bins: pickBins(stored.b, bins),
      gen: stored.g,
      expiresAt: stored.e === 0 ? null : stored.e,
    };
  }

  private expiryFor(ttl: number, previous: StoredRecord | undefined, now: number): number {
    if (ttl === TTL_NEVER) return 0;
    if (ttl === TTL_KEEP) return previous?.e ?? 0;
    return now + ttl * 1000;
  }

  /** Writes a record and keeps the expiry index in step; call inside a write transaction. */
  private writeStored(
    key: StoredKey,
    previous: StoredRecord | undefined,
    next: StoredRecord,
  ): void {
    if (previous && previous.e !== 0 && previous.e !== next.e) {
      this.expiries.remove([previous.e, ...key]);
    }
    // An unchanged expiry is already indexed: most writes (TTL kept) skip the index.
    if (next.e !== 0 && next.e !== previous?.e) this.indexExpiry(next.e, key);
    this.records.put(key, this.forEncoding(next));
    this.touch(key);
  }

  /** Adds a record's expiry to the index: its own entry, or its transaction's group. */
  private indexExpiry(expiresAt: number, key: StoredKey): void {
    if (!this.expiryGroups) {
      this.expiries.put([expiresAt, ...key], true);
      return;
    }
    // A transaction's records mostly share one group: it is found without building its name.
    let group = this.lastGroup;
    if (!group || group.expiresAt !== expiresAt || group.ns !== key[0] || group.set !== key[1]) {
      const id = `${expiresAt}\u0000${key[0]}\u0000${key[1]}`;
      group = this.expiryGroups.get(id) ?? null;
      if (!group) {
        group = { expiresAt, ns: key[0], set: key[1], ids: [] };
        this.expiryGroups.set(id, group);
      }
      this.lastGroup = group;
    }
    group.ids.push(key[2]);
  }

  /** Writes the transaction's expiry groups, at most `EXPIRY_GROUP_IDS` records per entry. */
  private writeExpiryGroups(): void {
    if (!this.expiryGroups || this.expiryGroups.size === 0) return;
    for (const { expiresAt, ns, set, ids } of this.expiryGroups.values()) {
      for (let at = 0; at < ids.length; at += EXPIRY_GROUP_IDS) {
        const entry = `${this.groupPrefix}${this.groupCount++}`;
        this.expiries.put([expiresAt, ns, set, entry], ids.slice(at, at + EXPIRY_GROUP_IDS));
      }
    }
    this.expiryGroups.clear();
    this.lastGroup = null;
  }

  /** Notes that the current write transaction changes a record of `key`'s set. */
  private touch(key: StoredKey): void {
    const id = setId(key[0], key[1]);
    if (!this.touchedSets.has(id)) this.touchedSets.set(id, [key[0], key[1]]);
  }

  /**
   * A write transaction that ends by bumping the version of every set it
   * changed, in the same transaction: a reader in any process that sees a
   * change sees the new version with it. The sweeper does not bump: it only
   * deletes records that reads (cached or not) already hide as expired.
   */
  private write<T>(body: () => T): Promise<T> {
    return this.records.transaction(() => {
      try {
        return body();
      } finally {
        this.writeExpiryGroups();
        this.lastCreated = null;
        for (const set of this.touchedSets.values()) {
          this.versions.put(set, (this.versions.get(set) ?? 0) + 1);
        }
        this.touchedSets.clear();
      }
    });
  }

  /**
   * The live record at `k`: from the read cache when its set's version is the
   * one it was cached at (`entry`), else read, decoded and cached.
   */
  private readLive(
    k: StoredKey,
    entry: SetEntry<StoredRecord> | null,
    now: number,
  ): StoredRecord | undefined {
    if (!entry) return this.live(this.records.get(k), now);
    let stored = entry.records.get(k[2]);
    if (stored === undefined) {
      stored = this.records.get(k) ?? null;
      this.readCache?.keep(entry, k[2], stored);
    }
    return stored === null ? undefined : this.live(stored, now);
  }

  /** The read cache's records of a set, at the set's current version (null: no cache). */
  private cachedSet(ns: string, set: string): SetEntry<StoredRecord> | null {
    if (!this.readCache) return null;
    return this.readCache.at(setId(ns, set), this.versions.get([ns, set]) ?? 0);
  }

  /** What the encoder is given for `record`: its large number maps wrapped for the block encoding. */
  private forEncoding(record: StoredRecord): StoredRecord {
    if (!this.numberMaps) return record;
    const bins = withNumberMaps(record.b);
    return bins === record.b ? record : { b: bins, g: record.g, e: record.e };
  }

  private checkGen(previous: StoredRecord | undefined, expectGen: number | undefined): boolean {
    if (expectGen === undefined) return true;
    if (expectGen === 0) return previous === undefined;
    return previous?.g === expectGen;
  }

  async get(key: RecordKey, bins?: readonly string[]): Promise<StoreRecord | null> {
    assertValidKey(key);
    const k = storedKey(key);
    const stored = this.readLive(k, this.cachedSet(key.ns, key.set), this.now());
    return stored ? this.toRecord(stored, binNames(bins)) : null;
  }

  async batchGet(
    keys: readonly RecordKey[],
    bins?: readonly string[],
  ): Promise<(StoreRecord | null)[]> {
    return this.readMany(keys, bins);
  }

  /**
   * `batchGet`'s reads, synchronous. Inside a write transaction (`cached`
   * false) they see its writes so far and leave the read cache alone: what
   * they see is not committed yet, and a cache entry is trusted for as long
   * as its set's committed version stays the same.
   */
  private readMany(
    keys: readonly RecordKey[],
    bins: readonly string[] | undefined,
    cached = true,
  ): (StoreRecord | null)[] {
    const now = this.now();
    const names = binNames(bins);
    const out = new Array<StoreRecord | null>(keys.length);
    // One key array for the whole batch: lmdb-js encodes it before `get` returns and keeps no reference.
    const k: StoredKey = ["", "", ""];
    // Batches are almost always of one set: its cache entry is looked up once.
    let entry: SetEntry<StoredRecord> | null = null;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as RecordKey;
      assertValidKey(key);
      if (cached && (i === 0 || key.ns !== k[0] || key.set !== k[1])) {
        entry = this.cachedSet(key.ns, key.set);
      }
      k[0] = key.ns;
      k[1] = key.set;
      k[2] = key.key;
      const stored = this.readLive(k, entry, now);
      out[i] = stored ? this.toRecord(stored, names) : null;
    }
    return out;
  }

  async put(key: RecordKey, bins: BinsPatch, options: PutOptions = {}): Promise<{ gen: number }> {
    assertValidKey(key);
    assertValidBins(bins);
    assertValidTtl(options.ttl);
    const k = storedKey(key);
    const result = await this.write(() => {
      const now = this.now();
      const stored = this.records.get(k);
      const previous = this.live(stored, now);
      if (!this.checkGen(previous, options.expectGen)) return CONFLICT;
      const merged: Bins = options.replace || !previous ? {} : { ...previous.b };
      for (const [name, value] of Object.entries(bins)) {
        if (value === null) delete merged[name];
        else merged[name] = value;
      }
      const next: StoredRecord = {
        b: merged,
        g: (previous?.g ?? 0) + 1,
        e: this.expiryFor(options.ttl ?? TTL_NEVER, previous, now),
      };
      this.writeStored(k, stored, next);
      return next.g;
    });
    if (result === CONFLICT) throw conflict(key, options.expectGen ?? 0);
    return { gen: result };
  }

  async remove(key: RecordKey): Promise<boolean> {
    assertValidKey(key);
    const k = storedKey(key);
    return this.write(() => {
      const stored = this.records.get(k);
      if (!stored) return false;
      if (stored.e !== 0) this.expiries.remove([stored.e, ...k]);
      this.records.remove(k);
      this.touch(k);
      return this.live(stored) !== undefined;
    });
  }

  async operate(
    key: RecordKey,
    operations: readonly Operation[],
    options: WriteOptions = {},
  ): Promise<OperateResult> {
    this.validateOperate(key, operations, options);
    const result = await this.write(() =>
      this.operateInTransaction(key, operations, options, this.now()),
    );
    if (result instanceof StoreError) throw result;
    return result;
  }

  async operateMany(requests: readonly OperateRequest[]): Promise<(OperateResult | StoreError)[]> {
    const results = new Array<OperateResult | StoreError>(requests.length);
    const valid = this.validateEach(requests, results);
    // One transaction, one commit: the records are independent, each stays atomic.
    if (valid.length > 0) await this.write(() => this.operateValid(requests, valid, results));
    return results;
  }

  transact<T>(body: (tx: StoreTransaction) => T): Promise<T> {
    return this.write(() =>
      body({
        batchGet: (keys, bins) => this.readMany(keys, bins, false),
        operateMany: (requests) => {
          const results = new Array<OperateResult | StoreError>(requests.length);
          this.operateValid(requests, this.validateEach(requests, results), results);
          return results;
        },
      }),
    );
  }

  /** The indexes of the valid requests; each invalid one's error goes in `results`. */
  private validateEach(
    requests: readonly OperateRequest[],
    results: (OperateResult | StoreError)[],
  ): number[] {
    const valid: number[] = [];
    requests.forEach((request, i) => {
      try {
        this.validateOperate(request.key, request.operations, request.options ?? {});
        valid.push(i);
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        results[i] = error;
      }
    });
    return valid;
  }

  /** The valid requests' operates, into `results`; call inside a write transaction. */
  private operateValid(
    requests: readonly OperateRequest[],
    valid: readonly number[],
    results: (OperateResult | StoreError)[],
  ): void {
    const now = this.now();
    for (const i of valid) {
      const request = requests[i] as OperateRequest;
      results[i] = this.operateInTransaction(
        request.key,
        request.operations,
        request.options ?? {},
        now,
      );
    }
  }

  private validateOperate(
    key: RecordKey,
    operations: readonly Operation[],
    options: WriteOptions,
  ): void {
    assertValidKey(key);
    assertValidOperations(operations);
    assertValidTtl(options.ttl);
  }

  /** One record's operate; call inside a write transaction. Failures are returned, not thrown. */
  private operateInTransaction(
    key: RecordKey,
    operations: readonly Operation[],
    options: WriteOptions,
    now: number,
  ): OperateResult | StoreError {
    const k = storedKey(key);
    if (options.expectGen === 0) {
      const created = this.createOnly(k, operations, options, now);
      if (created !== undefined) return created;
    }
    // Decoded for this write alone (never the read cache's object), so its bins are changed in place.
    const stored = this.numberMaps
      ? decodingWritable(() => this.records.get(k), this.stableDecoding)
      : this.records.get(k);
    const previous = this.live(stored, now);
    if (!this.checkGen(previous, options.expectGen)) return conflict(key, options.expectGen ?? 0);
    const bins: Bins = previous ? previous.b : {};
    let reads: Bins;
    try {
      reads = applyOperations(bins, operations);
    } catch (error) {
      if (error instanceof StoreError) return error;
      throw error;
    }
    const next: StoredRecord = {
      b: bins,
      g: (previous?.g ?? 0) + 1,
      e: this.expiryFor(options.ttl ?? TTL_KEEP, previous, now),
    };
    this.writeStored(k, stored, next);
    return { gen: next.g, bins: reads };
  }

  /**
   * A create-only write without reading first: LMDB's no-overwrite put
   * (MDB_NOOVERWRITE) refuses it if the key holds any record. The event log
   * creates one record per event id and almost all are new, so the read (and
   * its decode) is skipped; a key that exists, live or expired but not yet
   * swept, returns `undefined` for the read-and-check path, which decides.
   */
  private createOnly(
    k: StoredKey,
    operations: readonly Operation[],
    options: WriteOptions,
    now: number,
  ): OperateResult | StoreError | undefined {
    const expiresAt = this.expiryFor(options.ttl ?? TTL_KEEP, undefined, now);
    let created = this.lastCreated;
    // The event log creates a delivery's records with one shared operations array: the same value,
    // encoded once per transaction instead of once per record.
    if (!created || created.operations !== operations || created.expiresAt !== expiresAt) {
      const bins: Bins = {};
      let reads: Bins;
      try {
        reads = applyOperations(bins, operations);
      } catch (error) {
        // A live record's conflict comes first: the read-and-check path reports whichever applies.
        if (error instanceof StoreError) return undefined;
        throw error;
      }
      const encoder = (this.records as unknown as { encoder: RecordEncoder }).encoder;
      const encoded = encoder.encode(this.forEncoding({ b: bins, g: 1, e: expiresAt }));
      // A copy: the encoder's output is a view of a buffer it writes the next value into.
      created = { operations, expiresAt, value: asBinary(encoded.slice()), reads };
      this.lastCreated = created;
    }
    // lmdb-js takes put options (its types list only a version); inside a transaction it answers
    // with a settled promise carrying `result`: false when the key is taken.
    const put = (this.records as unknown as NoOverwritePut).put(k, created.value, {
      noOverwrite: true,
    });
    if (put.result === false) return undefined;
    // Inside a write transaction lmdb-js writes at once and answers at once; anything else is a bug.
    if (put.result !== true)
      throw new Error("LMDB create-only put ran outside a write transaction");
    if (expiresAt !== 0) this.indexExpiry(expiresAt, k);
    this.touch(k);
    return { gen: 1, bins: { ...created.reads } };
  }

  async scan(ns: string, set: string, bins?: readonly string[]): Promise<StoreRecord[]> {
    assertValidKey({ ns, set, key: "-" });
    const now = this.now();
    const names = binNames(bins);
    const out: StoreRecord[] = [];
    for (const { key, value } of this.records.getRange({ start: [ns, set] })) {
      if (key[0] !== ns || key[1] !== set) break;
      const stored = this.live(value, now);
      if (stored) out.push(this.toRecord(stored, names));
    }
    return out;
  }

  /**
   * Deletes every expired record, at most `sweepBatch` per transaction;
   * returns how many. Runs on a timer; exposed so tests and tools can force a
   * sweep.
   */
  sweepExpired(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    if (this.sweeping) return this.sweeping;
    this.sweeping = this.sweepUntilDone().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /**
   * Bounded sweep transactions one after another while each hits its limit:
   * one per timer tick deleted at most `sweepBatch` per interval (500/s by
   * default), fewer than an event log writing 50,000 TTL'd records a second
   * lets expire, so the environment grew without bound. Each round yields
   * to the event loop before the next, and `close` stops the rounds.
   */
  private async sweepUntilDone(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const round = await this.sweepRound();
      deleted += round.deleted;
      if (round.visited < this.sweepBatch || this.closed) return deleted;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * One transaction over due index entries until `sweepBatch` records are
   * visited (a grouped entry is taken whole): how many it visited and deleted.
   */
  private sweepRound(): Promise<{ visited: number; deleted: number }> {
    const now = this.now();
    return this.records.transaction(() => {
      let visited = 0;
      let deleted = 0;
      for (const { key, value } of this.expiries.getRange({
        start: [0],
        end: [now, "\uffff"],
        limit: this.sweepBatch,
      })) {
        if (visited >= this.sweepBatch) break;
        const [expiresAt, ns, set, id] = key;
        for (const recordId of Array.isArray(value) ? value : [id]) {
          visited++;
          const recordKey: StoredKey = [ns, set, recordId];
          const stored = this.records.get(recordKey);
          // The index may be behind a rewrite; only delete if the record still expires at this time.
          if (stored && stored.e === expiresAt) {
            this.records.remove(recordKey);
            deleted++;
          }
        }
        this.expiries.remove(key);
      }
      return { visited, deleted };
    });
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.root.close();
  }
}
