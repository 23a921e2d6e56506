/**
 * The isolate's own copy of hot entries: a least-recently-used map bounded by
 * entry count and by approximate bytes, so a burst of distinct ids can never
 * push the isolate towards its 128 MB limit. Map iteration order is insertion
 * order, so "touch" = delete + set and the first key is the eldest.
 */
export interface MemoryTierOptions {
  maxEntries: number;
  maxBytes: number;
}

interface Slot<V> {
  value: V;
  bytes: number;
  /** Epoch ms (isolate clock) when this copy was taken from the region store. */
  fetchedAt: number;
}

export class MemoryTier<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private totalBytes = 0;

  constructor(private readonly options: MemoryTierOptions) {}

  /** The entry and when it was fetched, marking it most recently used. */
  get(key: string): { value: V; fetchedAt: number } | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot;
  }

  /** Stores an entry of roughly `bytes`; evicts the least recently used until both bounds hold. */
  set(key: string, value: V, bytes: number, fetchedAt: number): void {
    this.delete(key);
    // One entry larger than the whole budget is not kept at all (it would evict everything).
    if (bytes > this.options.maxBytes) return;
    this.slots.set(key, { value, bytes, fetchedAt });
    this.totalBytes += bytes;
    while (this.slots.size > this.options.maxEntries || this.totalBytes > this.options.maxBytes) {
      const eldest = this.slots.keys().next().value;
      if (eldest === undefined) break;
      this.delete(eldest);
    }
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    this.totalBytes -= slot.bytes;
  }

  get size(): number {
    return this.slots.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }
}

/**
 * Approximate in-memory size of a JSON-shaped value: its JSON length times
 * two (UTF-16 strings plus object overhead). Exact sizes are unknowable from
 * JS; this keeps the byte bound honest within a small factor.
 */
export function approximateBytes(value: unknown): number {
  if (value === null || value === undefined) return 16;
  if (value instanceof Uint8Array) return value.byteLength + 64;
  return (JSON.stringify(value)?.length ?? 16) * 2 + 64;
}
