/**
 * The write path's memory of the records it wrote last: each record's
 * decoded value beside the exact bytes it was stored as. A read-modify-write
 * (`operate`) of a record still holding those bytes starts from the kept
 * value instead of decoding it again. Decoding is most of the cost of a
 * hot stream record: an item×region record's co-visitation map has 40-80
 * data keys, every one a new string for msgpackr (its key cache hashes
 * length and first two bytes, and all these keys start with "00").
 *
 * A kept value is used only when the record's current bytes equal the kept
 * ones, so any other writer (another thread or process on the environment,
 * `put`, an expiry sweep, an aborted transaction) simply makes it a miss.
 * The kept values belong to the write path alone: `operate` mutates them in
 * place and they are never handed out.
 */
export class RecordWriteCache<V> {
  private readonly entries = new Map<string, { bytes: Uint8Array; value: V }>();
  private bytesHeld = 0;

  /**
   * @param maxBytes Budget for the kept records, counted as their encoded size
   *   (decoded values are a few times larger).
   * @param minRecordBytes Smaller records are not kept: they decode cheaply, and
   *   many small ones (user×category) would push out the large hot ones.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly minRecordBytes: number,
  ) {}

  /** The kept value of `id` if the record is still stored as `current`, else `undefined`. */
  get(id: string, current: Uint8Array | undefined): V | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (!current || !sameBytes(entry.bytes, current)) {
      this.delete(id);
      return undefined;
    }
    // Most recently used last: eviction takes the first.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  /** Keeps `value` as the decoding of `bytes` (owned by the cache from now on). */
  set(id: string, bytes: Uint8Array, value: V): void {
    this.delete(id);
    if (bytes.length < this.minRecordBytes || bytes.length > this.maxBytes / 8) return;
    this.entries.set(id, { bytes, value });
    this.bytesHeld += bytes.length;
    while (this.bytesHeld > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  /** Forgets `id` (its kept value may have been changed by a write that did not happen). */
  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.bytesHeld -= entry.bytes.length;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * `current` may be lmdb-js's reusable read buffer, whose `length` property is
 * set to the record's size while the buffer itself is larger.
 */
function sameBytes(kept: Uint8Array, current: Uint8Array): boolean {
  const length = current.length;
  if (kept.byteLength !== length) return false;
  return (
    Buffer.compare(kept, current.byteLength === length ? current : current.subarray(0, length)) ===
    0
  );
}
