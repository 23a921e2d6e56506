import {
  type DecayedScores,
  dropMask,
  PERIOD_NEEDS_KEY,
  topKeyPeriod,
  topKeyPeriodAt,
} from "../decayed-top-rank.js";

/**
 * A block-encoded number map (`number-map-extension.ts`) as `operate` holds
 * it between reading a record and writing it back: the stored bytes plus the
 * changes, instead of a plain object. The co-visitation maps of the stream's
 * item×region records are 40-80 entries and get a few adds per batch;
 * decoding one into an object cost ~15 µs (a key string and a dictionary
 * insert per entry) and encoding it back ~8 µs (the keys listed, joined and
 * checked again). Here a record's map is its bytes until an operation needs
 * an entry: adds find their key by comparing bytes, and the map encodes back
 * by copying the key block and the changed values.
 *
 * It holds only keys a plain object would enumerate in insertion order (no
 * array-index keys) and that the block layout can hold (printable ASCII, at
 * most 255 characters), so slot order is object order and `toPlainObject`
 * gives exactly the object the eager decoding plus the same operations
 * would. Anything else (a key outside those rules, a non-number value, a
 * key named like an `Object.prototype` member) is left to the plain object
 * (`toPlainObject`) by the caller.
 */

/** Smaller maps are written as msgpack maps (`MIN_ENTRIES` in number-map-extension.ts). */
export const MIN_BLOCK_ENTRIES = 8;
/** A first key shorter than this is a bin name, not data (`MIN_DATA_KEY_LENGTH` there). */
export const MIN_BLOCK_FIRST_KEY = 10;
const MAX_BLOCK_ENTRIES = 0xffff;
const MAX_KEY_LENGTH = 0xff;
/** Up to this many slots a lookup compares keys in turn; larger maps build a hash table. */
const MAX_SCANNED_SLOTS = 32;

/** A key the block may hold and a plain object keeps in insertion order. */
export function isBlockKey(key: string): boolean {
  const length = key.length;
  if (length > MAX_KEY_LENGTH) return false;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return !isArrayIndex(key);
}

/** Whether `key` is a canonical array index (objects enumerate those first, in numeric order). */
function isArrayIndex(key: string): boolean {
  const length = key.length;
  if (length === 0 || length > 10) return false;
  const first = key.charCodeAt(0);
  if (first === 0x30) return length === 1;
  if (first < 0x31 || first > 0x39) return false;
  for (let i = 1; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return length < 10 || Number(key) < 4_294_967_295;
}

/** Whether the key bytes at `at` (of `length`) are an array index, as `isArrayIndex` of the string. */
function isArrayIndexAt(bytes: Uint8Array, at: number, length: number): boolean {
  if (length === 0 || length > 10) return false;
  const first = bytes[at] as number;
  if (first === 0x30) return length === 1;
  if (first < 0x31 || first > 0x39) return false;
  let value = first - 0x30;
  for (let i = 1; i < length; i++) {
    const code = bytes[at + i] as number;
    if (code < 0x30 || code > 0x39) return false;
    value = value * 10 + (code - 0x30);
  }
  return value < 4_294_967_295;
}

export class WritableNumberMap {
  /** Entries in the stored bytes (slots 0..stored-1); added keys take the slots after them. */
  private readonly stored: number;
  /** Where the stored keys and values start in `payload`. */
  private readonly keysAt: number;
  private readonly valuesAt: number;
  // Plain arrays, not typed ones: a map lives for one write, and small typed
  // arrays each allocate an off-heap backing store, which cost more GC than
  // the young-generation arrays that die with the map.
  /** Start of each stored key in `payload`, computed on the first lookup. */
  private keyStarts: number[] | null = null;
  /**
   * Open-addressing hash table of slots (slot + 1; 0 = empty) by key hash,
   * built on the first lookup. Stored keys are hashed from their bytes, so
   * no key string is made; a removed slot stays in the table (lookups skip it).
   */
  private table: number[] | null = null;
  /** Slots in the table (live or removed), to grow it before it is half full. */
  private tableSlots = 0;
  /** Every slot's value once one changed (null: the stored values, untouched). */
  private values: number[] | null = null;
  private readonly added: string[] = [];
  /** Slots removed (null: none); a removed key added again takes a new slot at the end. */
  private removed: boolean[] | null = null;
  private liveCount: number;
  private view: DataView | null = null;

  private constructor(private readonly payload: Uint8Array) {
    const count = (payload[0] as number) | ((payload[1] as number) << 8);
    let keyBytes = 0;
    for (let i = 0; i < count; i++) keyBytes += payload[2 + i] as number;
    this.stored = count;
    this.keysAt = 2 + count;
    this.valuesAt = this.keysAt + keyBytes;
    this.liveCount = count;
  }

  /**
   * The map of a block payload (the extension's bytes; `copy` them unless
   * they never change afterwards), or null if one of its keys is an array
   * index, which a plain object would move to the front.
   */
  static fromPayload(bytes: Uint8Array, copy: boolean): WritableNumberMap | null {
    const count = (bytes[0] as number) | ((bytes[1] as number) << 8);
    let at = 2 + count;
    for (let i = 0; i < count; i++) {
      const length = bytes[2 + i] as number;
      const first = bytes[at] as number;
      // Cheap first test: array indexes start with a digit 1-9 (or are "0").
      if (first >= 0x30 && first <= 0x39 && isArrayIndexAt(bytes, at, length)) return null;
      at += length;
    }
    // Uint8Array's slice: a Buffer's own `slice` would return a view of the same memory.
    return new WritableNumberMap(copy ? Uint8Array.prototype.slice.call(bytes) : bytes);
  }

  /** Entries in the map now. */
  get size(): number {
    return this.liveCount;
  }

  /** The value under `key`, or undefined. */
  get(key: string): number | undefined {
    const slot = this.slotOf(key);
    return slot < 0 ? undefined : this.valueAt(slot);
  }

  /**
   * Sets `key` to `value`. Returns false, changing nothing, if `key` is not
   * one this map may hold (`isBlockKey`): the caller then uses a plain object.
   */
  set(key: string, value: number): boolean {
    const slot = this.slotOf(key);
    if (slot >= 0) {
      this.writableValues()[slot] = value;
      return true;
    }
    return this.append(key, value);
  }

  /**
   * Adds `delta` to the value under `key` (0 when absent), as `set(key,
   * (get(key) ?? 0) + delta)` would, with one lookup: the stream's adds are
   * most of a record's steps. Returns false, changing nothing, as `set` does.
   */
  add(key: string, delta: number): boolean {
    const slot = this.slotOf(key);
    if (slot >= 0) {
      const values = this.writableValues();
      values[slot] = (values[slot] as number) + delta;
      return true;
    }
    // `0 + delta`, as the plain object's `(entry ?? 0) + value`: -0 becomes 0.
    return this.append(key, 0 + delta);
  }

  /** Puts a key not in the map at the next slot (false if the block cannot hold it). */
  private append(key: string, value: number): boolean {
    if (!isBlockKey(key)) return false;
    const at = this.stored + this.added.length;
    this.writableValues().push(value);
    this.removed?.push(false);
    this.added.push(key);
    if (this.table) this.insert(at, hashString(key));
    this.liveCount++;
    return true;
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    const slot = this.slotOf(key);
    if (slot >= 0) this.removeSlot(slot);
  }

  /**
   * Removes every key that sorts before `bound` (`key < bound`: by UTF-16
   * code unit, which for these ASCII keys is by byte), as a counter map's
   * window trim does to its plain object, comparing the stored key bytes
   * instead of making their strings.
   */
  removeBelow(bound: string): void {
    const payload = this.payload;
    let at = this.keysAt;
    for (let slot = 0; slot < this.stored; slot++) {
      const length = payload[2 + slot] as number;
      if (!this.removed?.[slot] && bytesBefore(payload, at, length, bound)) this.removeSlot(slot);
      at += length;
    }
    for (let i = 0; i < this.added.length; i++) {
      const slot = this.stored + i;
      if (!this.removed?.[slot] && (this.added[i] as string) < bound) this.removeSlot(slot);
    }
  }

  /**
   * `mapTrimTop` on the map: above `above` entries, removes all but the
   * `keep` best by `scores`, ranked in slot order (the plain object's order,
   * so ties go as they would there). Periods are read from the stored key
   * bytes and scores go into a typed array: no key string, no plain object.
   */
  trimTop(above: number, keep: number, scores: DecayedScores): void {
    const count = this.liveCount;
    if (count <= above) return;
    const payload = this.payload;
    const removed = this.removed;
    const ranked = new Float64Array(count);
    let live = 0;
    let at = this.keysAt;
    for (let slot = 0; slot < this.stored; slot++) {
      const length = payload[2 + slot] as number;
      if (!removed?.[slot]) {
        let period = topKeyPeriodAt(payload, at, length);
        if (period === PERIOD_NEEDS_KEY) period = topKeyPeriod(latin1(payload, at, length));
        ranked[live++] = scores.score(this.valueAt(slot), period);
      }
      at += length;
    }
    for (let i = 0; i < this.added.length; i++) {
      const slot = this.stored + i;
      if (removed?.[slot]) continue;
      ranked[live++] = scores.score(this.valueAt(slot), topKeyPeriod(this.added[i] as string));
    }
    const drop = dropMask(ranked, count, keep);
    live = 0;
    const slots = this.stored + this.added.length;
    for (let slot = 0; slot < slots; slot++) {
      if (this.removed?.[slot]) continue;
      if (drop[live++] === 1) this.removeSlot(slot);
    }
  }

  private removeSlot(slot: number): void {
    this.removed ??= new Array<boolean>(this.stored + this.added.length).fill(false);
    this.removed[slot] = true;
    this.liveCount--;
  }

  /** Whether the block encoding still applies (the rule of `asNumberMap` for plain maps). */
  fitsBlock(): boolean {
    if (this.liveCount < MIN_BLOCK_ENTRIES || this.liveCount > MAX_BLOCK_ENTRIES) return false;
    const first = this.firstLiveSlot();
    const length =
      first < this.stored
        ? (this.payload[2 + first] as number)
        : (this.added[first - this.stored] as string).length;
    return length >= MIN_BLOCK_FIRST_KEY;
  }

  /** The plain object the map stands for, as the eager decoding builds it. */
  toPlainObject(): { [key: string]: number } {
    const out: { [key: string]: number } = {};
    const joined = Buffer.from(
      this.payload.buffer,
      this.payload.byteOffset,
      this.payload.byteLength,
    ).toString("latin1", this.keysAt, this.valuesAt);
    let from = 0;
    for (let slot = 0; slot < this.stored; slot++) {
      const to = from + (this.payload[2 + slot] as number);
      if (!this.removed?.[slot]) out[joined.slice(from, to)] = this.valueAt(slot);
      from = to;
    }
    for (let i = 0; i < this.added.length; i++) {
      const slot = this.stored + i;
      if (!this.removed?.[slot]) out[this.added[i] as string] = this.valueAt(slot);
    }
    return out;
  }

  /** The block payload of the map now (call only when `fitsBlock`). */
  toBytes(): Buffer {
    const length = this.byteLength();
    const out = Buffer.allocUnsafe(length);
    this.writeTo(out, 0, length);
    return out;
  }

  /** Bytes of the block payload now (call only when `fitsBlock`). */
  byteLength(): number {
    if (this.added.length === 0 && !this.removed) return this.payload.byteLength;
    const payload = this.payload;
    const removed = this.removed;
    let keyBytes = 0;
    for (let slot = 0; slot < this.stored; slot++) {
      if (!removed?.[slot]) keyBytes += payload[2 + slot] as number;
    }
    for (let i = 0; i < this.added.length; i++) {
      if (!removed?.[this.stored + i]) keyBytes += (this.added[i] as string).length;
    }
    return 2 + this.liveCount + keyBytes + 8 * this.liveCount;
  }

  /**
   * Writes the block payload (`byteLength()` bytes, passed in when the caller
   * has it) into `out` at `at`: the encoder's own buffer, so a map is not
   * built in a buffer of its own first and copied (`number-map-extension.ts`).
   */
  writeTo(out: Uint8Array, at: number, byteLength = this.byteLength()): void {
    const payload = this.payload;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if (this.added.length === 0 && !this.removed) {
      // Same keys: the stored bytes with the values block replaced.
      out.set(payload.subarray(0, this.valuesAt), at);
      this.writeValues(out, view, at + this.valuesAt, this.stored);
      return;
    }
    const count = this.liveCount;
    const removed = this.removed;
    const end = at + byteLength;
    const head = at + 2 + count;
    view.setUint16(at, count, true);
    let lengthAt = at + 2;
    let keyAt = head;
    let valueAt = end - 8 * count;
    if (!removed) {
      // Stored entries unchanged in order: their lengths and keys are one copy each.
      out.set(payload.subarray(2, 2 + this.stored), lengthAt);
      lengthAt += this.stored;
      out.set(payload.subarray(this.keysAt, this.valuesAt), keyAt);
      keyAt += this.valuesAt - this.keysAt;
      this.writeValues(out, view, valueAt, this.stored);
      valueAt += 8 * this.stored;
    } else {
      let from = this.keysAt;
      for (let slot = 0; slot < this.stored; slot++) {
        const length = payload[2 + slot] as number;
        if (!removed[slot]) {
          out[lengthAt++] = length;
          // Byte by byte: a key is ~20 bytes, and a subarray per key to copy it
          // from allocated an object each (a trimmed map keeps 40-80 keys).
          for (let i = 0; i < length; i++) out[keyAt + i] = payload[from + i] as number;
          keyAt += length;
          view.setFloat64(valueAt, this.valueAt(slot), true);
          valueAt += 8;
        }
        from += length;
      }
    }
    for (let i = 0; i < this.added.length; i++) {
      const slot = this.stored + i;
      if (removed?.[slot]) continue;
      const key = this.added[i] as string;
      out[lengthAt++] = key.length;
      // Printable ASCII (`isBlockKey`): one byte per character.
      for (let c = 0; c < key.length; c++) out[keyAt++] = key.charCodeAt(c);
      view.setFloat64(valueAt, this.valueAt(slot), true);
      valueAt += 8;
    }
  }

  private valueAt(slot: number): number {
    if (this.values) return this.values[slot] as number;
    return this.payloadView().getFloat64(this.valuesAt + 8 * slot, true);
  }

  /** One DataView of the payload for its values (a Buffer view per read allocated one object each). */
  private payloadView(): DataView {
    if (this.view) return this.view;
    const payload = this.payload;
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    return this.view;
  }

  /** Every stored slot's value into `out` at `at` (`count` of them), as float64 LE. */
  private writeValues(out: Uint8Array, view: DataView, at: number, count: number): void {
    const values = this.values;
    if (!values) {
      out.set(this.payload.subarray(this.valuesAt, this.valuesAt + 8 * count), at);
    } else {
      for (let i = 0; i < count; i++) view.setFloat64(at + 8 * i, values[i] as number, true);
    }
  }

  /** Every slot's value, read from the payload on the first change (then changed in place). */
  private writableValues(): number[] {
    if (this.values) return this.values;
    const view = this.payloadView();
    const values = new Array<number>(this.stored);
    for (let slot = 0; slot < this.stored; slot++) {
      values[slot] = view.getFloat64(this.valuesAt + 8 * slot, true);
    }
    this.values = values;
    return values;
  }

  private firstLiveSlot(): number {
    const removed = this.removed;
    if (!removed) return 0;
    let slot = 0;
    while (removed[slot]) slot++;
    return slot;
  }

  /** The live slot holding `key`, or -1. */
  private slotOf(key: string): number {
    if (this.table === null && this.stored + this.added.length <= MAX_SCANNED_SLOTS) {
      return this.scan(key);
    }
    const table = this.table ?? this.buildTable();
    const mask = table.length - 1;
    let at = hashString(key) & mask;
    for (let entry = table[at] as number; entry !== 0; entry = table[at] as number) {
      const slot = entry - 1;
      if (!this.removed?.[slot] && this.keyIs(slot, key)) return slot;
      at = (at + 1) & mask;
    }
    return -1;
  }

  /**
   * `slotOf` for a small map: compares `key` with each slot's bytes in turn,
   * which for a counter map of 12-24 entries costs less than hashing every
   * stored key into a table first.
   */
  private scan(key: string): number {
    const payload = this.payload;
    const removed = this.removed;
    const length = key.length;
    let start = this.keysAt;
    for (let slot = 0; slot < this.stored; slot++) {
      const slotLength = payload[2 + slot] as number;
      if (slotLength === length && !removed?.[slot] && bytesEqual(payload, start, key)) return slot;
      start += slotLength;
    }
    const added = this.added;
    for (let i = 0; i < added.length; i++) {
      if (added[i] === key && !removed?.[this.stored + i]) return this.stored + i;
    }
    return -1;
  }

  private keyIs(slot: number, key: string): boolean {
    if (slot >= this.stored) return this.added[slot - this.stored] === key;
    const payload = this.payload;
    const length = key.length;
    if (payload[2 + slot] !== length) return false;
    return bytesEqual(payload, (this.keyStarts as number[])[slot] as number, key);
  }

  private buildTable(): number[] {
    const payload = this.payload;
    const starts = new Array<number>(this.stored);
    this.keyStarts = starts;
    const added = this.added;
    this.table = new Array<number>(tableSizeFor(this.stored + added.length + 8)).fill(0);
    this.tableSlots = 0;
    let at = this.keysAt;
    for (let slot = 0; slot < this.stored; slot++) {
      const length = payload[2 + slot] as number;
      starts[slot] = at;
      this.insert(slot, hashBytes(payload, at, length));
      at += length;
    }
    // Keys added while the map was small enough to scan.
    for (let i = 0; i < added.length; i++)
      this.insert(this.stored + i, hashString(added[i] as string));
    return this.table;
  }

  /** Puts `slot` under `hash`, growing the table first if it would be half full. */
  private insert(slot: number, hash: number): void {
    let table = this.table as number[];
    if (2 * (this.tableSlots + 1) > table.length) {
      const old = table;
      table = new Array<number>(old.length * 2).fill(0);
      this.table = table;
      this.tableSlots = 0;
      for (const entry of old) if (entry !== 0) this.place(entry - 1, this.hashOf(entry - 1));
    }
    this.place(slot, hash);
  }

  private place(slot: number, hash: number): void {
    const table = this.table as number[];
    const mask = table.length - 1;
    let at = hash & mask;
    while (table[at] !== 0) at = (at + 1) & mask;
    table[at] = slot + 1;
    this.tableSlots++;
  }

  private hashOf(slot: number): number {
    if (slot >= this.stored) return hashString(this.added[slot - this.stored] as string);
    const start = (this.keyStarts as number[])[slot] as number;
    return hashBytes(this.payload, start, this.payload[2 + slot] as number);
  }
}

/** The key string of `length` bytes at `at` (printable ASCII: latin1 is exact). */
function latin1(bytes: Uint8Array, at: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    "latin1",
    at,
    at + length,
  );
}

/** Whether the key bytes at `at` (as many as `key` has characters) are `key`'s. */
function bytesEqual(bytes: Uint8Array, at: number, key: string): boolean {
  // Keys of one map mostly share their start (the period): compare from the end.
  for (let i = key.length - 1; i >= 0; i--) {
    if (bytes[at + i] !== key.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether the key bytes at `at` (of `length`) sort before `bound`, as the key string's `<` would. */
function bytesBefore(bytes: Uint8Array, at: number, length: number, bound: string): boolean {
  const common = Math.min(length, bound.length);
  for (let i = 0; i < common; i++) {
    const byte = bytes[at + i] as number;
    const code = bound.charCodeAt(i);
    if (byte !== code) return byte < code;
  }
  return length < bound.length;
}

/** Power of two of at least twice `slots`. */
function tableSizeFor(slots: number): number {
  let size = 16;
  while (size < 2 * slots) size *= 2;
  return size;
}

/** FNV-1a over a key's bytes; equals `hashString` of the same ASCII key. */
function hashBytes(bytes: Uint8Array, at: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = at; i < at + length; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 0;
}

function hashString(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
