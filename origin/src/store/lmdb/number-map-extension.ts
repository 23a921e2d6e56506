import { addExtension } from "msgpackr";
import type { Bins, BinValue } from "../port.js";
import { WritableNumberMap } from "./writable-number-map.js";

/**
 * A compact msgpack encoding for the store's maps keyed by data with number
 * values: decayed-top maps (co-visitation, trending), the stream's counter
 * maps once they hold a window's buckets, and other maps of 8 or more numbers. As plain msgpack maps every key is a separate
 * string that msgpackr's key cache cannot hold (it hashes length and first
 * two bytes, and these keys all start with "00"): an 80-entry co-visitation
 * map cost ~27 µs to decode and ~18 µs to encode on every read-modify-write
 * of its item×region record. Here the keys are one ASCII block and the
 * values one float64 block (~13 µs and ~8 µs).
 *
 * Payload: u16 count, count × u8 key length, the keys (printable ASCII),
 * count × float64 LE. Decodes to the same plain object as a msgpack map;
 * records written before (plain msgpack maps) still decode as they are.
 */

/** msgpack extension type ('N'); msgpackr's own are 0x42, 0x62, 0x65, 0x69, 0x70, 0x73, 0x74, 0x78, 0xff. */
export const NUMBER_MAP_EXTENSION = 0x4e;
/**
 * Smaller maps are cheap as msgpack maps; from here on the block layout pays.
 * The stream's counter maps (`v1.<region>` ... `p24.<region>`) hold 12 or 24
 * buckets at steady state: as blocks an item×region record's write-path
 * decode took ~8 instead of ~17 µs and its encode ~13 instead of ~19. Maps of
 * 1-2 buckets (a new record, or a short replay) cost more as blocks (serving
 * decode ~21 -> ~26 µs when blocks started at 2), so they stay msgpack maps.
 */
const MIN_ENTRIES = 8;
/** Shorter first keys are names (bins), not data (`bucketKey`s are 10 digits, top keys longer). */
const MIN_DATA_KEY_LENGTH = 10;

/** A map chosen for the block encoding, with its keys listed once. */
export class NumberMap {
  constructor(
    readonly map: { readonly [key: string]: number },
    readonly keys: readonly string[],
    readonly joined: string,
  ) {}
}

function pack(value: NumberMap): Buffer {
  const { map, keys, joined } = value;
  const count = keys.length;
  const head = 2 + count;
  const out = Buffer.allocUnsafe(head + joined.length + 8 * count);
  out.writeUInt16LE(count, 0);
  for (let i = 0; i < count; i++) out[2 + i] = (keys[i] as string).length;
  out.write(joined, head, "latin1");
  let at = head + joined.length;
  for (let i = 0; i < count; i++) {
    out.writeDoubleLE(map[keys[i] as string] as number, at);
    at += 8;
  }
  return out;
}

function unpack(bytes: Uint8Array): { [key: string]: number } {
  // msgpackr hands over a subarray of whatever it decodes (not always a Buffer): view it as one.
  const payload =
    bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = payload.readUInt16LE(0);
  const head = 2 + count;
  let keyBytes = 0;
  for (let i = 0; i < count; i++) keyBytes += payload[2 + i] as number;
  const joined = payload.toString("latin1", head, head + keyBytes);
  const out: { [key: string]: number } = {};
  let from = 0;
  let at = head + keyBytes;
  for (let i = 0; i < count; i++) {
    const to = from + (payload[2 + i] as number);
    out[joined.slice(from, to)] = payload.readDoubleLE(at);
    from = to;
    at += 8;
  }
  return out;
}

/** Set while `operate` reads a record to change it: block maps then decode as `WritableNumberMap`s. */
let writable = false;
/** Whether the bytes being decoded stay as they are (`decodeFromChunks`), so maps may keep views of them. */
let stableBytes = false;

/**
 * Runs `read` (a synchronous record read) with block maps decoded as
 * `WritableNumberMap`s instead of plain objects, for a read-modify-write that
 * changes a few entries and writes the map back. Only the write path may see
 * them: they are not plain objects. `stable`: the decoder reads from bytes
 * that never change afterwards (`decodeFromChunks`), so the maps need not copy theirs.
 */
export function decodingWritable<T>(read: () => T, stable: boolean): T {
  writable = true;
  stableBytes = stable;
  try {
    return read();
  } finally {
    writable = false;
  }
}

function unpackMap(bytes: Uint8Array): unknown {
  return (writable && WritableNumberMap.fromPayload(bytes, !stableBytes)) || unpack(bytes);
}

// Registered once per thread, on the msgpackr module lmdb-js encodes with (one deduped copy).
// Both classes write the same extension; the later registration's `unpackMap` decodes it.
/**
 * What msgpackr passes an extension's `pack` as its second argument (not in
 * its types): room for `size` bytes in the output it is writing.
 */
type AllocateForWrite = (size: number) => { target: Uint8Array; position: number };

/** Bytes of the msgpack ext header msgpackr writes before a payload of `length` (> 16) bytes. */
function extensionHeaderBytes(length: number): number {
  return length < 0x100 ? 3 : length < 0x10000 ? 4 : 6;
}

/** Writes that header at `at`, as msgpackr's `writeExtensionData` does; returns where the payload goes. */
function writeExtensionHeader(target: Uint8Array, at: number, length: number): number {
  if (length < 0x100) {
    target[at++] = 0xc7;
    target[at++] = length;
  } else if (length < 0x10000) {
    target[at++] = 0xc8;
    target[at++] = length >> 8;
    target[at++] = length & 0xff;
  } else {
    target[at++] = 0xc9;
    target[at++] = length >>> 24;
    target[at++] = (length >> 16) & 0xff;
    target[at++] = (length >> 8) & 0xff;
    target[at++] = length & 0xff;
  }
  target[at++] = NUMBER_MAP_EXTENSION;
  return at;
}

/**
 * A changed block map is written straight into the encoder's output (header
 * and payload, the same bytes msgpackr writes for a returned buffer) instead
 * of into a buffer of its own that msgpackr then copies.
 */
function packWritable(
  value: WritableNumberMap,
  allocateForWrite?: AllocateForWrite,
): Buffer | undefined {
  if (typeof allocateForWrite !== "function") return value.toBytes();
  const length = value.byteLength();
  const { target, position } = allocateForWrite(extensionHeaderBytes(length) + length);
  value.writeTo(target, writeExtensionHeader(target, position, length), length);
  return undefined;
}

addExtension({
  Class: WritableNumberMap,
  type: NUMBER_MAP_EXTENSION,
  pack: packWritable as (value: WritableNumberMap) => Buffer,
  unpack: unpackMap,
});
addExtension({ Class: NumberMap, type: NUMBER_MAP_EXTENSION, pack, unpack: unpackMap });

/** Printable ASCII only: one byte per character, and nothing a latin1 round trip could change. */
const ASCII_KEYS = /^[\x20-\x7e]*$/;

/** The block encoding of `value` if it qualifies (a large map of numbers under short ASCII keys). */
function asNumberMap(value: BinValue): NumberMap | null {
  if (typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) return null;
  if (value instanceof WritableNumberMap) return null;
  const keys = Object.keys(value);
  if (keys.length < MIN_ENTRIES || keys.length > 0xffff) return null;
  // Keyed by names, not data (a feature record's `_t` write times, keyed by bin names): kept a
  // msgpackr record (`isFixedShape` in lmdb-store.ts), whose one shared shape decodes through a
  // compiled reader into a fast object. As a block it decoded into a dictionary with new key
  // strings: serving 100 records x 50 features cost ~1.7x the CPU, and raw reads alike.
  if ((keys[0] as string).length < MIN_DATA_KEY_LENGTH) return null;
  for (const key of keys) {
    if (key.length > 0xff || typeof value[key] !== "number") return null;
  }
  const joined = keys.join("");
  if (!ASCII_KEYS.test(joined)) return null;
  return new NumberMap(value as { [key: string]: number }, keys, joined);
}

/**
 * The bins to encode: the same object when no bin qualifies, else a copy
 * with the qualifying maps wrapped for the block encoding. A
 * `WritableNumberMap` (`decodingWritable`) encodes as a block while it
 * still qualifies and is otherwise replaced by its plain object.
 */
export function withNumberMaps(bins: Bins): Bins {
  let out: Bins | null = null;
  for (const name in bins) {
    const value = bins[name] as BinValue;
    if (typeof value !== "object") continue;
    let encoded: BinValue | NumberMap | null;
    if (value instanceof WritableNumberMap) {
      if (value.fitsBlock()) continue;
      const plain = value.toPlainObject();
      encoded = asNumberMap(plain) ?? plain;
    } else {
      encoded = asNumberMap(value);
    }
    if (!encoded) continue;
    out ??= { ...bins };
    // Only the encoder ever sees the wrapper.
    out[name] = encoded as unknown as BinValue;
  }
  return out ?? bins;
}

/**
 * Whether `encoder` (lmdb-js's) writes and reads the block encoding: false
 * if it used another copy of msgpackr than the one the extension is
 * registered on, in which case it would write the wrapper's fields instead.
 */
export function encoderSupportsNumberMaps(encoder: {
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}): boolean {
  // Keys shaped like the stream's (`bucketKey`s), so the sample qualifies.
  const map = Object.fromEntries(
    Array.from({ length: MIN_ENTRIES }, (_, i) => [
      String(i).padStart(MIN_DATA_KEY_LENGTH, "0"),
      i + 0.5,
    ]),
  );
  const wrapped = withNumberMaps({ m: map }).m;
  if (!(wrapped instanceof NumberMap))
    throw new Error("number-map check: its sample does not qualify");
  const bytes = encoder.encode([wrapped]);
  const decoded = encoder.decode(bytes) as unknown[];
  if (!bytes.includes(NUMBER_MAP_EXTENSION) || JSON.stringify(decoded[0]) !== JSON.stringify(map)) {
    return false;
  }
  // A changed map written through msgpackr's room-for-write argument (`packWritable`) must read back too.
  const writable = WritableNumberMap.fromPayload(pack(wrapped), true);
  const added = "9".repeat(MIN_DATA_KEY_LENGTH + 1);
  if (!writable?.add(added, 2.5)) throw new Error("number-map check: its sample does not qualify");
  const changed = encoder.decode(encoder.encode([writable])) as unknown[];
  return JSON.stringify(changed[0]) === JSON.stringify({ ...map, [added]: 2.5 });
}
