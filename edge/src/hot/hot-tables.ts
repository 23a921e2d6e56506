import type { HotKind, HotPoolHead, HotWireEntry } from "#shared/hot/hot-contract";

/** An entry as the region store holds it: the origin's entry plus when the store last confirmed it. */
export interface StoredHotEntry {
  kind: HotKind;
  id: string;
  /** The value as JSON text (`"null"` = known absent): parsed once, by the isolate that keeps it. */
  valueJson: string;
  version: number;
  updatedAt: number;
  observedAt: number;
  /** Epoch ms (edge clock) of the last pull or publish that carried this entry. */
  storedAt: number;
}

export interface StoredPoolHead extends HotPoolHead {
  storedAt: number;
}

/**
 * Durable Object SQLite allows at most 100 bound parameters per statement
 * (developers.cloudflare.com/durable-objects/platform/limits/): reads by id go in slices of 90.
 */
const IDS_PER_SELECT = 90;
/**
 * A string, BLOB or row is limited to 2 MB in Durable Object SQLite, so the
 * pool (~5 MB for 100k × 32) is kept in 1 MiB chunks.
 */
export const POOL_CHUNK_BYTES = 1024 * 1024;

type EntryRow = {
  kind: string;
  id: string;
  value: string;
  version: number;
  updated_at: number;
  observed_at: number;
  stored_at: number;
};

/** The region store's tables and every statement on them; nothing else touches SQL. */
export class HotTables {
  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS entries (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        observed_at INTEGER NOT NULL,
        stored_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS pool_head (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        chunks INTEGER NOT NULL,
        stored_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS pool_chunks (
        seq INTEGER PRIMARY KEY,
        bytes BLOB NOT NULL
      );
    `);
  }

  /** The stored entries among `ids` (absent ids are simply not in the map). */
  read(kind: HotKind, ids: readonly string[]): Map<string, StoredHotEntry> {
    const found = new Map<string, StoredHotEntry>();
    for (let i = 0; i < ids.length; i += IDS_PER_SELECT) {
      const slice = ids.slice(i, i + IDS_PER_SELECT);
      const rows = this.storage.sql
        .exec<EntryRow>(
          `SELECT kind, id, value, version, updated_at, observed_at, stored_at FROM entries
           WHERE kind = ? AND id IN (${slice.map(() => "?").join(",")})`,
          kind,
          ...slice,
        )
        .toArray();
      for (const row of rows) {
        found.set(row.id, {
          kind,
          id: row.id,
          valueJson: row.value,
          version: row.version,
          updatedAt: row.updated_at,
          observedAt: row.observed_at,
          storedAt: row.stored_at,
        });
      }
    }
    return found;
  }

  /**
   * Writes entries in one transaction. An entry observed at the origin
   * before the stored one is ignored, so a slow pull never overwrites a newer
   * publish. Answers how many replaced what was stored.
   */
  write(entries: readonly HotWireEntry[], storedAt: number): number {
    let applied = 0;
    this.storage.transactionSync(() => {
      for (const entry of entries) {
        const cursor = this.storage.sql.exec(
          `INSERT INTO entries (kind, id, value, version, updated_at, observed_at, stored_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (kind, id) DO UPDATE SET
             value = excluded.value, version = excluded.version, updated_at = excluded.updated_at,
             observed_at = excluded.observed_at, stored_at = excluded.stored_at
           WHERE excluded.observed_at >= entries.observed_at`,
          entry.kind,
          entry.id,
          JSON.stringify(entry.value ?? null),
          entry.version,
          entry.updatedAt,
          entry.observedAt,
          storedAt,
        );
        applied += cursor.rowsWritten > 0 ? 1 : 0;
      }
    });
    return applied;
  }

  /** Drops entries no pull or publish confirmed since `before`; answers how many. */
  prune(before: number): number {
    return this.storage.sql.exec("DELETE FROM entries WHERE stored_at < ?", before).rowsWritten;
  }

  /** Whether any entry is held (the prune alarm keeps running only then). */
  hasEntries(): boolean {
    return this.storage.sql.exec("SELECT 1 FROM entries LIMIT 1").toArray().length > 0;
  }

  poolHead(): StoredPoolHead | null {
    const row = this.storage.sql
      .exec<{ version: number; updated_at: number; bytes: number; stored_at: number }>(
        "SELECT version, updated_at, bytes, stored_at FROM pool_head WHERE one = 1",
      )
      .toArray()[0];
    return row
      ? {
          version: row.version,
          updatedAt: row.updated_at,
          bytes: row.bytes,
          storedAt: row.stored_at,
        }
      : null;
  }

  /** Marks the held pool as confirmed by the origin now (its version did not move). */
  confirmPool(storedAt: number): void {
    this.storage.sql.exec("UPDATE pool_head SET stored_at = ? WHERE one = 1", storedAt);
  }

  /** Replaces the pool: chunks and head in one transaction, so a reader never sees half of one. */
  writePool(head: HotPoolHead, bytes: Uint8Array, storedAt: number): void {
    const chunks = Math.ceil(bytes.byteLength / POOL_CHUNK_BYTES);
    this.storage.transactionSync(() => {
      this.storage.sql.exec("DELETE FROM pool_chunks");
      for (let seq = 0; seq < chunks; seq++) {
        const chunk = bytes.subarray(seq * POOL_CHUNK_BYTES, (seq + 1) * POOL_CHUNK_BYTES);
        this.storage.sql.exec("INSERT INTO pool_chunks (seq, bytes) VALUES (?, ?)", seq, chunk);
      }
      this.storage.sql.exec(
        `INSERT INTO pool_head (one, version, updated_at, bytes, chunks, stored_at)
         VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (one) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
           bytes = excluded.bytes, chunks = excluded.chunks, stored_at = excluded.stored_at`,
        head.version,
        head.updatedAt,
        bytes.byteLength,
        chunks,
        storedAt,
      );
    });
  }

  /** The pool's bytes reassembled from its chunks, or null if none is held. */
  readPool(): Uint8Array | null {
    const head = this.poolHead();
    if (!head) return null;
    const out = new Uint8Array(head.bytes);
    let at = 0;
    for (const row of this.storage.sql.exec<{ bytes: ArrayBuffer }>(
      "SELECT bytes FROM pool_chunks ORDER BY seq",
    )) {
      const chunk = new Uint8Array(row.bytes);
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return at === head.bytes ? out : null;
  }
}
