import type { FeatureValue } from "#shared/features/definitions";
import type { BinValue } from "../store/port.js";
import type { DecodedValue } from "./storage-read.js";

/** A feature value inside the origin: vectors are Float32Array, everything else as on the wire. */
export type ServedValue = DecodedValue;

/** Float32 little-endian bytes, the stored form of a vector (docs/features.md). */
export function encodeVector(values: readonly number[] | Float32Array): Uint8Array {
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  const bytes = new Uint8Array(floats.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < floats.length; i++) view.setFloat32(i * 4, floats[i] as number, true);
  return bytes;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads stored vector bytes into a fresh, aligned Float32Array (one copy, no per-value work). */
export function decodeVector(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length >>> 2);
  if (littleEndian) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** First arena chunk in floats (two 32-d vectors fit twice); each next chunk doubles, up to the cap. */
const FIRST_ARENA_FLOATS = 128;
/** 64 KB: a served vector kept alive holds at most this much memory with it. */
const MAX_ARENA_FLOATS = 16_384;

/**
 * Decodes the vectors of one response into shared chunks: each vector is a
 * `Float32Array` view of its own slice of a chunk, so a 100-row read makes
 * a few allocations instead of one off-heap buffer per vector (≈ 1 µs each,
 * a quarter of serving 100 × 50). Chunks are never reused, so views never
 * change under their holder. Served vectors are read-only, as all served values.
 */
export class VectorArena {
  private chunk: Float32Array | null = null;
  private bytes: Uint8Array | null = null;
  private used = 0;
  private size = FIRST_ARENA_FLOATS;

  decode(stored: Uint8Array): Float32Array {
    const n = stored.length >>> 2;
    if (!littleEndian || n > MAX_ARENA_FLOATS) return decodeVector(stored);
    let chunk = this.chunk;
    let bytes = this.bytes;
    if (chunk === null || bytes === null || this.used + n > chunk.length) {
      while (this.size < n) this.size *= 2;
      chunk = new Float32Array(this.size);
      bytes = new Uint8Array(chunk.buffer);
      this.chunk = chunk;
      this.bytes = bytes;
      this.used = 0;
      this.size = Math.min(this.size * 2, MAX_ARENA_FLOATS);
    }
    bytes.set(stored.length === n * 4 ? stored : stored.subarray(0, n * 4), this.used * 4);
    const out = new Float32Array(chunk.buffer, this.used * 4, n);
    this.used += n;
    return out;
  }
}

/** A validated wire value in its stored form. */
export function toBinValue(value: FeatureValue, type: string): BinValue {
  if (type === "vector") return encodeVector(value as number[]);
  return value as BinValue;
}

/** A stored bin as served; vectors become Float32Array. */
export function fromBinValue(bin: BinValue, type: string): ServedValue {
  if (type === "vector" && bin instanceof Uint8Array) return decodeVector(bin);
  return bin as ServedValue;
}

/** A served value on the wire: vectors as plain arrays. */
export function toWireValue(value: ServedValue | null): FeatureValue | null {
  if (value instanceof Float32Array) return Array.from(value);
  return value;
}
