/**
 * Binary layout of the edge retrieval pool: item ids, one embedding per item
 * and the item facts the edge can filter on (category, brand, in stock). The
 * origin builds it with `encodePool`, the hot layer ships the bytes to every
 * region and the edge reads them with `decodePool` into typed-array views, so
 * a 100k × 32 pool is ~5 MB on the wire and about as much in the isolate.
 *
 * Layout (little endian, every section starts on a 4-byte boundary):
 *
 * | bytes | field |
 * |---|---|
 * | 4 | magic `RPOL` |
 * | 1 | layout version (1) |
 * | 1 | vector encoding: 1 = int8 with a float32 scale per item, 2 = float32 |
 * | 1 | flags: bit 0 = meta present |
 * | 1 | reserved (0) |
 * | 4 | dim (u32) |
 * | 4 | count (u32) |
 * | … | ids: string table (below), strictly ascending in code-unit order |
 * | … | int8: scales f32 × count, then vectors i8 × count·dim; float32: vectors f32 × count·dim |
 * | … | meta (if flagged): category dictionary, brand dictionary (string tables), category codes, brand codes, in-stock bitset |
 *
 * A string table is `n` (u32), `byteLength` (u32), offsets u32 × (n + 1), then
 * the UTF-8 bytes. Codes are u8, u16 or u32 (by dictionary size: a byte tells
 * which); code 0 is "unknown" (dictionary entry 0 is always the empty string).
 * The in-stock bitset has bit `i % 8` of byte `i / 8` set when item `i` is in
 * stock; an item whose stock the origin did not know is encoded as in stock,
 * so the edge never drops it on a guess (the origin's rules still check).
 */

/** Bump when the layout changes; `decodePool` refuses versions it does not know. */
export const POOL_LAYOUT_VERSION = 1;
const MAGIC = [0x52, 0x50, 0x4f, 0x4c]; // "RPOL"
const HEADER_BYTES = 16;
/** Largest dimension we accept: a guard against a corrupt header allocating gigabytes. */
export const MAX_POOL_DIM = 4096;
/** Largest pool we accept (items); the edge budget is sized for ~100k. */
export const MAX_POOL_COUNT = 2_000_000;

export type PoolVectorEncoding = "int8" | "float32";

/** Item facts the edge can check without the origin. */
export interface PoolItemMeta {
  category?: string | undefined;
  brand?: string | undefined;
  /** Absent means unknown, encoded as in stock. */
  inStock?: boolean | undefined;
}

export interface EncodePoolInput {
  ids: readonly string[];
  dim: number;
  /** `ids.length × dim` values, item after item. */
  vectors: Float32Array;
  /** One per id when given. */
  meta?: readonly PoolItemMeta[];
  /** Default `int8`: 4× smaller, and top-K recall stays high (see docs/edge.md). */
  encoding?: PoolVectorEncoding;
}

/** Per-item facts in dictionary-coded columns (no object per item). */
export interface PoolMetaColumns {
  /** Entry 0 is "" (unknown). */
  categories: string[];
  brands: string[];
  /** Index into `categories` per item. */
  categoryCodes: Uint8Array | Uint16Array | Uint32Array;
  brandCodes: Uint8Array | Uint16Array | Uint32Array;
  /** Bit `i` set = item `i` in stock (or stock unknown). */
  inStock: Uint8Array;
}

/** A decoded pool: typed-array views, ready for a tight dot-product loop. */
export interface RetrievalPool {
  dim: number;
  count: number;
  ids: string[];
  encoding: PoolVectorEncoding;
  /** int8: quantized components (`value ≈ q × scales[item]`); float32: the values. */
  vectors: Int8Array | Float32Array;
  /** int8 only: one scale per item; empty for float32. */
  scales: Float32Array;
  meta?: PoolMetaColumns;
}

/** Thrown by `decodePool` for bytes that are not a pool it can read. */
export class PoolFormatError extends Error {
  override name = "PoolFormatError";
}

const align4 = (n: number): number => (n + 3) & ~3;

class Writer {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.byteLength;
  }

  u32s(values: ArrayLike<number>): void {
    this.push(new Uint8Array(Uint32Array.from(values).buffer));
  }

  pad(): void {
    const extra = align4(this.length) - this.length;
    if (extra > 0) this.push(new Uint8Array(extra));
  }

  concat(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function writeStringTable(writer: Writer, strings: readonly string[]): void {
  const encoded = strings.map((s) => encoder.encode(s));
  const offsets = new Uint32Array(strings.length + 1);
  let total = 0;
  encoded.forEach((bytes, i) => {
    total += bytes.byteLength;
    offsets[i + 1] = total;
  });
  writer.u32s([strings.length, total]);
  writer.push(new Uint8Array(offsets.buffer));
  const blob = new Uint8Array(total);
  encoded.forEach((bytes, i) => {
    blob.set(bytes, offsets[i] ?? 0);
  });
  writer.push(blob);
  writer.pad();
}

function codeWidth(dictionarySize: number): 1 | 2 | 4 {
  if (dictionarySize <= 0xff) return 1;
  if (dictionarySize <= 0xffff) return 2;
  return 4;
}

function writeCodes(writer: Writer, codes: readonly number[], width: 1 | 2 | 4): void {
  const array =
    width === 1
      ? Uint8Array.from(codes)
      : width === 2
        ? Uint16Array.from(codes)
        : Uint32Array.from(codes);
  writer.push(new Uint8Array(array.buffer, 0, array.byteLength));
  writer.pad();
}

function dictionaryCode(dictionary: Map<string, number>, value: string | undefined): number {
  if (value === undefined || value === "") return 0;
  let code = dictionary.get(value);
  if (code === undefined) {
    code = dictionary.size;
    dictionary.set(value, code);
  }
  return code;
}

function writeMeta(writer: Writer, meta: readonly PoolItemMeta[]): void {
  const categories = new Map([["", 0]]);
  const brands = new Map([["", 0]]);
  const categoryCodes = meta.map((m) => dictionaryCode(categories, m.category));
  const brandCodes = meta.map((m) => dictionaryCode(brands, m.brand));
  const inStock = new Uint8Array(Math.ceil(meta.length / 8));
  meta.forEach((m, i) => {
    if (m.inStock !== false) inStock[i >> 3] = (inStock[i >> 3] ?? 0) | (1 << (i & 7));
  });
  const categoryWidth = codeWidth(categories.size);
  const brandWidth = codeWidth(brands.size);
  writer.push(Uint8Array.of(categoryWidth, brandWidth, 0, 0));
  writeStringTable(writer, [...categories.keys()]);
  writeStringTable(writer, [...brands.keys()]);
  writeCodes(writer, categoryCodes, categoryWidth);
  writeCodes(writer, brandCodes, brandWidth);
  writer.push(inStock);
  writer.pad();
}

/** Per-item symmetric int8 quantization: scale = max |v| / 127, so the largest component maps to ±127. */
function quantize(vectors: Float32Array, count: number, dim: number) {
  const scales = new Float32Array(count);
  const quantized = new Int8Array(count * dim);
  for (let item = 0; item < count; item++) {
    const base = item * dim;
    let maxAbs = 0;
    for (let j = 0; j < dim; j++) maxAbs = Math.max(maxAbs, Math.abs(vectors[base + j] ?? 0));
    if (maxAbs === 0) continue; // zero vector: scale 0, scores 0
    const scale = maxAbs / 127;
    scales[item] = scale;
    for (let j = 0; j < dim; j++)
      quantized[base + j] = Math.round((vectors[base + j] ?? 0) / scale);
  }
  return { scales, quantized };
}

/** Code-unit order, the order of `<` on strings: what `poolIndexOf`'s binary search assumes. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The items in id order (refusing duplicates), so the edge finds an id by binary search instead of building a 100k-entry Map. */
function sortById(
  ids: readonly string[],
  dim: number,
  vectors: Float32Array,
  meta: readonly PoolItemMeta[] | undefined,
) {
  const order = ids.map((_, i) => i).sort((a, b) => compareIds(ids[a] as string, ids[b] as string));
  const sortedIds = order.map((i) => ids[i] as string);
  for (let i = 1; i < sortedIds.length; i++) {
    if (sortedIds[i] === sortedIds[i - 1])
      throw new RangeError(`duplicate pool id ${sortedIds[i]}`);
  }
  const sortedVectors = new Float32Array(vectors.length);
  order.forEach((from, to) => {
    sortedVectors.set(vectors.subarray(from * dim, (from + 1) * dim), to * dim);
  });
  return {
    ids: sortedIds,
    vectors: sortedVectors,
    meta: meta && order.map((i) => meta[i] as PoolItemMeta),
  };
}

/**
 * Encodes a pool for the hot layer. Items are stored sorted by id (code-unit
 * order); `decodePool` returns them in that order, not the input's.
 *
 * @example
 * const bytes = encodePool({ ids: ["i2", "i1"], dim: 2, vectors: Float32Array.of(1, 0, 0, 1) });
 * decodePool(bytes).ids; // ["i1", "i2"] (i1's vector is [0, 1])
 */
export function encodePool(input: EncodePoolInput): Uint8Array<ArrayBuffer> {
  const { ids, dim, vectors, meta } = input;
  const encoding = input.encoding ?? "int8";
  const count = ids.length;
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_POOL_DIM) {
    throw new RangeError(`pool dim must be an integer in 1..${MAX_POOL_DIM}, got ${dim}`);
  }
  if (count > MAX_POOL_COUNT) throw new RangeError(`pool holds at most ${MAX_POOL_COUNT} items`);
  if (vectors.length !== count * dim) {
    throw new RangeError(
      `expected ${count} × ${dim} = ${count * dim} values, got ${vectors.length}`,
    );
  }
  if (meta !== undefined && meta.length !== count) {
    throw new RangeError(`expected meta for each of ${count} ids, got ${meta.length}`);
  }
  for (const value of vectors) {
    if (!Number.isFinite(value)) throw new RangeError("pool vectors must be finite numbers");
  }
  const sorted = sortById(ids, dim, vectors, meta);
  const writer = new Writer();
  const header = new DataView(new ArrayBuffer(HEADER_BYTES));
  MAGIC.forEach((byte, i) => {
    header.setUint8(i, byte);
  });
  header.setUint8(4, POOL_LAYOUT_VERSION);
  header.setUint8(5, encoding === "int8" ? 1 : 2);
  header.setUint8(6, meta ? 1 : 0);
  header.setUint32(8, dim, true);
  header.setUint32(12, count, true);
  writer.push(new Uint8Array(header.buffer));
  writeStringTable(writer, sorted.ids);
  if (encoding === "int8") {
    const { scales, quantized } = quantize(sorted.vectors, count, dim);
    writer.push(new Uint8Array(scales.buffer));
    writer.push(new Uint8Array(quantized.buffer));
  } else {
    writer.push(new Uint8Array(sorted.vectors.buffer));
  }
  writer.pad();
  if (sorted.meta) writeMeta(writer, sorted.meta);
  return writer.concat();
}

/** Reads sections in order, checking every length against the bytes left. */
class Reader {
  offset: number;
  private readonly end: number;
  private readonly view: DataView;

  /** `base` must be 4-byte aligned so typed-array views over the sections are legal. */
  constructor(
    private readonly buffer: ArrayBuffer,
    base: number,
    length: number,
  ) {
    this.view = new DataView(buffer);
    this.offset = base + HEADER_BYTES;
    this.end = base + length;
  }

  private need(bytes: number, what: string): void {
    if (bytes < 0 || this.offset + bytes > this.end) {
      throw new PoolFormatError(`pool bytes end inside ${what} (truncated or corrupt)`);
    }
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  bytes(length: number, what: string): Uint8Array {
    this.need(length, what);
    const out = new Uint8Array(this.buffer, this.offset, length);
    this.offset = align4(this.offset + length);
    return out;
  }

  f32s(length: number, what: string): Float32Array {
    this.need(length * 4, what);
    const out = new Float32Array(this.buffer, this.offset, length);
    this.offset = align4(this.offset + length * 4);
    return out;
  }

  u32s(length: number, what: string): Uint32Array {
    this.need(length * 4, what);
    const out = new Uint32Array(this.buffer, this.offset, length);
    this.offset += length * 4;
    return out;
  }

  codes(width: number, length: number, what: string): Uint8Array | Uint16Array | Uint32Array {
    this.need(width * length, what);
    const at = this.offset;
    this.offset = align4(this.offset + width * length);
    if (width === 1) return new Uint8Array(this.buffer, at, length);
    if (width === 2) return new Uint16Array(this.buffer, at, length);
    return new Uint32Array(this.buffer, at, length);
  }

  /** The writer pads the last section too: anything but an exact end is damage. */
  finish(): void {
    if (this.offset > this.end) throw new PoolFormatError("pool bytes end early (truncated)");
    if (this.offset < this.end) {
      throw new PoolFormatError(
        `pool bytes carry ${this.end - this.offset} unexpected trailing bytes`,
      );
    }
  }

  stringTable(what: string, limit: number): string[] {
    const n = this.u32(`${what} count`);
    if (n > limit) throw new PoolFormatError(`${what}: ${n} entries, expected at most ${limit}`);
    const byteLength = this.u32(`${what} length`);
    const offsets = this.u32s(n + 1, `${what} offsets`);
    const blob = this.bytes(byteLength, `${what} text`);
    if ((offsets[n] ?? 0) !== byteLength) {
      throw new PoolFormatError(`${what}: offsets do not end at the text's length`);
    }
    // Ids are nearly always ASCII: one decode of the whole text, then slices
    // (byte offsets = character offsets), instead of 100k decoder calls.
    let ascii = true;
    for (let i = 0; i < blob.length; i++) {
      if ((blob[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    const text = ascii ? decoder.decode(blob) : "";
    const out = new Array<string>(n);
    let previous = 0;
    for (let i = 0; i < n; i++) {
      const start = offsets[i] ?? 0;
      const end = offsets[i + 1] ?? 0;
      if (start !== previous || end < start || end > byteLength) {
        throw new PoolFormatError(`${what}: offsets out of order or beyond the text`);
      }
      previous = end;
      if (ascii) {
        out[i] = text.slice(start, end);
        continue;
      }
      try {
        out[i] = decoder.decode(blob.subarray(start, end));
      } catch {
        throw new PoolFormatError(`${what}: entry ${i} is not valid UTF-8`);
      }
    }
    return out;
  }
}

function readMeta(reader: Reader, count: number): PoolMetaColumns {
  const widths = reader.bytes(4, "meta code widths");
  const categoryWidth = widths[0] ?? 0;
  const brandWidth = widths[1] ?? 0;
  for (const width of [categoryWidth, brandWidth]) {
    if (width !== 1 && width !== 2 && width !== 4) {
      throw new PoolFormatError(`meta code width ${width}, expected 1, 2 or 4`);
    }
  }
  const categories = reader.stringTable("category dictionary", count + 1);
  const brands = reader.stringTable("brand dictionary", count + 1);
  const categoryCodes = reader.codes(categoryWidth, count, "category codes");
  const brandCodes = reader.codes(brandWidth, count, "brand codes");
  for (const [codes, dictionary, what] of [
    [categoryCodes, categories, "category"],
    [brandCodes, brands, "brand"],
  ] as const) {
    for (const code of codes) {
      if (code >= dictionary.length)
        throw new PoolFormatError(`${what} code ${code} beyond its dictionary`);
    }
  }
  const inStock = reader.bytes(Math.ceil(count / 8), "in-stock bitset");
  return { categories, brands, categoryCodes, brandCodes, inStock };
}

/**
 * Reads pool bytes into typed-array views over one buffer (copied once if the
 * bytes are not 4-byte aligned). The pool keeps views over `bytes`' buffer:
 * hand it bytes nobody writes to afterwards. Throws `PoolFormatError` naming what is wrong
 * for anything that is not a complete pool of a known layout version.
 */
export function decodePool(bytes: Uint8Array): RetrievalPool {
  if (bytes.byteLength < HEADER_BYTES)
    throw new PoolFormatError("pool bytes shorter than the header");
  if (MAGIC.some((byte, i) => bytes[i] !== byte))
    throw new PoolFormatError("not pool bytes (bad magic)");
  const version = bytes[4];
  if (version !== POOL_LAYOUT_VERSION) {
    throw new PoolFormatError(
      `pool layout version ${version}, this code reads ${POOL_LAYOUT_VERSION}`,
    );
  }
  const encodingByte = bytes[5];
  if (encodingByte !== 1 && encodingByte !== 2) {
    throw new PoolFormatError(`unknown vector encoding ${encodingByte}`);
  }
  const flags = bytes[6] ?? 0;
  const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const dim = header.getUint32(8, true);
  const count = header.getUint32(12, true);
  if (dim < 1 || dim > MAX_POOL_DIM)
    throw new PoolFormatError(`pool dim ${dim} outside 1..${MAX_POOL_DIM}`);
  if (count > MAX_POOL_COUNT)
    throw new PoolFormatError(`pool count ${count} above ${MAX_POOL_COUNT}`);
  // Typed-array views need aligned offsets: copy once if the bytes sit at an odd offset.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const reader = new Reader(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength);
  const ids = reader.stringTable("ids", count);
  if (ids.length !== count)
    throw new PoolFormatError(`pool has ${ids.length} ids, header says ${count}`);
  for (let i = 1; i < count; i++) {
    if (compareIds(ids[i - 1] as string, ids[i] as string) >= 0) {
      throw new PoolFormatError(`pool ids not in strictly ascending order at ${i}`);
    }
  }
  const encoding: PoolVectorEncoding = encodingByte === 1 ? "int8" : "float32";
  let vectors: Int8Array | Float32Array;
  let scales: Float32Array;
  if (encoding === "int8") {
    scales = reader.f32s(count, "scales");
    const raw = reader.bytes(count * dim, "vectors");
    vectors = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  } else {
    scales = new Float32Array(0);
    vectors = reader.f32s(count * dim, "vectors");
  }
  const pool: RetrievalPool = { dim, count, ids, encoding, vectors, scales };
  if (flags & 1) pool.meta = readMeta(reader, count);
  reader.finish();
  return pool;
}
