/**
 * Decoded records of this process, per record set, valid for one version of
 * that set. Every LMDB write transaction that changes a record bumps its
 * set's version in the same transaction (any process or thread on the
 * environment: they all write through `LmdbStore`), so a reader that finds
 * the version it cached at still in the store knows no record of the set
 * changed since: one version lookup per set replaces a lookup and a decode
 * per record. Sets the stream writes every few milliseconds (sessions, users)
 * simply miss; sets written by batch loads (item features) stay cached
 * between loads.
 *
 * Every read of a cached record shares one object, so callers must treat
 * read records as read-only. Under the test runner they are frozen (bins,
 * their maps and lists; binary views cannot be), so a caller that changes
 * one fails its tests. They are not frozen in production: V8 reads frozen
 * wide records (hundreds of bins, dictionary-mode objects) through a slow
 * path, which made a 1 × 250 feature read about twice as slow as no cache.
 */

/** Vitest sets `VITEST` in its processes (and the origin processes tests start inherit it). */
const FREEZE_CACHED = process.env.VITEST !== undefined;

/** The cached records of one set at one version; `null` caches "no record". */
export class SetEntry<T> {
  readonly records = new Map<string, T | null>();
  constructor(readonly version: number) {}
}

export class SetReadCache<T extends object> {
  private readonly sets = new Map<string, SetEntry<T>>();
  private size = 0;

  /** `maxRecords` bounds the records held across all sets (misses past it are not kept). */
  constructor(private readonly maxRecords: number) {}

  /** The set's entry at `version`: a fresh one (the old dropped) when the version moved. */
  at(setId: string, version: number): SetEntry<T> {
    const current = this.sets.get(setId);
    if (current && current.version === version) return current;
    if (current) this.size -= current.records.size;
    const entry = new SetEntry<T>(version);
    this.sets.set(setId, entry);
    return entry;
  }

  /** Caches `record` (frozen) under `key`; the set's oldest entries make room when full. */
  keep(entry: SetEntry<T>, key: string, record: T | null): void {
    if (this.maxRecords <= 0) return;
    if (this.size >= this.maxRecords) {
      const oldest = entry.records.keys().next();
      // A full cache whose records belong to other sets: this miss is simply not kept.
      if (oldest.done) return;
      entry.records.delete(oldest.value);
      this.size--;
    }
    if (record !== null && FREEZE_CACHED) deepFreeze(record);
    entry.records.set(key, record);
    this.size++;
  }

  /** Records held, across sets. */
  get count(): number {
    return this.size;
  }
}

/** Freezes plain objects and arrays, nested; typed arrays cannot be frozen and are left alone. */
function deepFreeze(value: object): void {
  if (ArrayBuffer.isView(value) || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key in value) {
    const inner = (value as Record<string, unknown>)[key];
    if (typeof inner === "object" && inner !== null) deepFreeze(inner);
  }
}
