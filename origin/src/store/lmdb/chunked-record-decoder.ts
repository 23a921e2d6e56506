/**
 * Makes lmdb-js decode each record from one stable copy of its bytes, so the
 * binary bins in it (feature vectors) are views of that copy instead of one
 * fresh `ArrayBuffer` each.
 *
 * lmdb-js reads a record into one reusable buffer and has msgpackr copy
 * every binary value out of it (`copyBuffers`). Each copy is a new
 * off-heap `ArrayBuffer`, which cost more than decoding all the other bins
 * of a 50-bin feature record together. Here the record's bytes are first
 * copied (one `memcpy`) into a shared chunk that is only ever appended to,
 * then decoded with `copyBuffers` off, so binary bins are `subarray` views
 * of bytes that never change again. A chunk lives as long as any view of it;
 * chunks are small (16 KB) so a long-lived view holds little.
 */

/** The part of lmdb-js's msgpackr decoder this touches (lmdb-js types it as `any`). */
interface RecordDecoder {
  copyBuffers?: boolean;
  decode(source: Uint8Array, options?: unknown): unknown;
}

/** Big enough for about ten feature records; small enough that a retained view holds little. */
const CHUNK_BYTES = 16 * 1024;
/** Larger records get a copy of their own rather than wasting most of a chunk. */
const MAX_CHUNKED_RECORD = CHUNK_BYTES / 4;

/** How many bytes of `source` are the record, as msgpackr reads its `decode` arguments. */
function recordLength(source: Uint8Array, options: unknown): number {
  if (typeof options === "number" && options > -1) return options;
  const end = (options as { end?: unknown } | null | undefined)?.end;
  return typeof end === "number" && end > 0 ? end : source.length;
}

/**
 * Wraps the decoder of a database opened with lmdb-js's default msgpackr
 * encoding. Leaves any other decoder alone (returns `false`): the database
 * then keeps lmdb-js's own copying.
 */
export function decodeFromChunks(db: object): boolean {
  const decoder = (db as { decoder?: RecordDecoder }).decoder;
  if (!decoder || typeof decoder.decode !== "function" || decoder.copyBuffers !== true) {
    return false;
  }
  const decode = decoder.decode.bind(decoder);
  let chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  let used = 0;
  decoder.decode = (source: Uint8Array, options?: unknown) => {
    // The record's size: range reads pass it as the end; `get` sets `length` on lmdb-js's reusable buffer.
    const length = recordLength(source, options);
    let target: Buffer;
    let start = 0;
    if (length > MAX_CHUNKED_RECORD) {
      target = Buffer.allocUnsafeSlow(length);
    } else {
      if (used + length > CHUNK_BYTES) {
        chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
        used = 0;
      }
      target = chunk;
      start = used;
      // 8-byte aligned starts, so a float vector bin is often aligned too.
      used = (used + length + 7) & ~7;
    }
    target.set(source.byteLength === length ? source : source.subarray(0, length), start);
    // The copy is stable: binary values may be views of it. Restored at once,
    // because lmdb-js's writer reads the same flag to reuse its encode buffer.
    const copies = decoder.copyBuffers;
    decoder.copyBuffers = false;
    try {
      return decode(target, { start, end: start + length });
    } finally {
      decoder.copyBuffers = copies;
    }
  };
  return true;
}
