import { WRITTEN_AT_BIN } from "../features/layout.js";
import type { Operation, RecordKey } from "../store/port.js";

interface ListPush {
  /** One block per event, oldest event first; each block in the event's own order. */
  blocks: string[][];
  unique: boolean;
  cap: number;
}

/**
 * The writes one batch makes to one record, aggregated so the record gets a
 * single atomic `operate`: map adds to the same key are summed, list pushes
 * are concatenated newest first, trims keep their tightest bound.
 */
export class RecordWrites {
  private readonly adds = new Map<string, { float: boolean; values: Map<string, number> }>();
  private readonly removeBelow = new Map<string, string>();
  private readonly pushes = new Map<string, ListPush>();
  private readonly stamped = new Set<string>();
  private readonly reads = new Set<string>();
  private readonly sizes = new Set<string>();
  /** Record TTL in seconds for this write (refreshes the expiry); absent keeps it. */
  ttl: number | undefined;

  constructor(readonly key: RecordKey) {}

  /** Adds `value` under `mapKey` of a map bin; `float` for doubles (decayed sums). */
  mapAdd(bin: string, mapKey: string, value: number, float = false): void {
    let bin_ = this.adds.get(bin);
    if (!bin_) {
      bin_ = { float, values: new Map() };
      this.adds.set(bin, bin_);
    }
    bin_.values.set(mapKey, (bin_.values.get(mapKey) ?? 0) + value);
  }

  /** Removes map keys below `mapKey` after the adds; the highest bound asked for wins. */
  trimBelow(bin: string, mapKey: string): void {
    const current = this.removeBelow.get(bin);
    if (current === undefined || mapKey > current) this.removeBelow.set(bin, mapKey);
  }

  /**
   * Pushes one event's values to the front of a list bin. Call in event time
   * order (oldest first): later calls end up nearer the front.
   */
  pushFront(bin: string, values: readonly string[], options: { unique: boolean; cap: number }) {
    if (values.length === 0) return;
    let push = this.pushes.get(bin);
    if (!push) {
      push = { blocks: [], unique: options.unique, cap: options.cap };
      this.pushes.set(bin, push);
    }
    push.blocks.push([...values]);
  }

  /** Sets `_t[bin]` to the write time, so the served value has an age. */
  stamp(bin: string): void {
    this.stamped.add(bin);
  }

  /** Reads the bin back after the writes (for trimming and derived values). */
  read(bin: string): void {
    this.reads.add(bin);
  }

  /** Reads the map bin's entry count back after the writes (to decide on trimming). */
  readSize(bin: string): void {
    this.sizes.add(bin);
  }

  get isEmpty(): boolean {
    return this.adds.size === 0 && this.pushes.size === 0 && this.removeBelow.size === 0;
  }

  /** The single operate: adds, then trims, then list pushes, then stamps, then reads. */
  toOperations(now: number): Operation[] {
    const ops: Operation[] = [];
    for (const [bin, { float, values }] of this.adds) {
      for (const [key, value] of values) {
        if (value !== 0) ops.push({ op: "mapAdd", bin, key, value, float });
      }
    }
    for (const [bin, key] of this.removeBelow) ops.push({ op: "mapRemoveBelow", bin, key });
    for (const [bin, push] of this.pushes) {
      const values = newestFirst(push);
      ops.push({ op: "listPush", bin, values, front: true, unique: push.unique, cap: push.cap });
    }
    if (this.stamped.size > 0) {
      const items: { [key: string]: number } = {};
      for (const bin of this.stamped) items[bin] = now;
      ops.push({ op: "mapPutItems", bin: WRITTEN_AT_BIN, items });
    }
    for (const bin of this.reads) ops.push({ op: "read", bin });
    for (const bin of this.sizes) ops.push({ op: "mapSize", bin });
    return ops;
  }
}

/** The pushed values newest first, deduplicated (first = newest copy wins) when unique, capped. */
function newestFirst(push: ListPush): string[] {
  const out: string[] = [];
  const seen = push.unique ? new Set<string>() : null;
  for (let i = push.blocks.length - 1; i >= 0 && out.length < push.cap; i--) {
    for (const value of push.blocks[i] ?? []) {
      if (seen) {
        if (seen.has(value)) continue;
        seen.add(value);
      }
      out.push(value);
      if (out.length >= push.cap) break;
    }
  }
  return out;
}

/** All records a batch writes, each once. */
export class BatchWrites {
  /** Set -> record key -> writes (nested: no id string built per event). */
  private readonly records = new Map<string, Map<string, RecordWrites>>();
  private count = 0;

  record(key: RecordKey): RecordWrites {
    let bySet = this.records.get(key.set);
    if (!bySet) {
      bySet = new Map();
      this.records.set(key.set, bySet);
    }
    let record = bySet.get(key.key);
    if (!record) {
      record = new RecordWrites(key);
      bySet.set(key.key, record);
      this.count++;
    }
    return record;
  }

  *[Symbol.iterator](): IterableIterator<RecordWrites> {
    for (const bySet of this.records.values()) yield* bySet.values();
  }

  get size(): number {
    return this.count;
  }
}
