import { bucketKey, featureSet, joinKey, topKey, WRITTEN_AT_BIN } from "../features/layout.js";
import type { Operation, RecordKey } from "../store/port.js";

interface ListPush {
  /** One block per event, oldest event first; each block in the event's own order. */
  blocks: (readonly string[])[];
  unique: boolean;
  cap: number;
}

/**
 * The adds to one map bin: numbers, not map key strings, until the batch is
 * written (a hot record gets thousands of adds per batch and few distinct keys).
 */
interface BinAdds {
  float: boolean;
  /** Time bucket or decay period index -> sum (map key `bucketKey(index)`). */
  buckets: Map<number, number> | null;
  /** Decay period -> member -> sum (map key `topKey(period, member)`). */
  tops: Map<number, Map<string, number>> | null;
}

function sumInto<K>(map: Map<K, number>, key: K, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/**
 * The writes one batch makes to one record, aggregated so the record gets a
 * single atomic `operate`: map adds to the same key are summed, list pushes
 * are concatenated newest first, trims keep their tightest bound. Everything
 * is created on first use: most records get one or two kinds of write.
 */
export class RecordWrites {
  private adds: Map<string, BinAdds> | null = null;
  private removeBelow: Map<string, number> | null = null;
  private pushes: Map<string, ListPush> | null = null;
  private stamped: Set<string> | null = null;
  private reads: Set<string> | null = null;
  private sizes: Set<string> | null = null;
  /** Record TTL in seconds for this write (refreshes the expiry); absent keeps it. */
  ttl: number | undefined;

  constructor(readonly key: RecordKey) {}

  private binAdds(bin: string, float: boolean): BinAdds {
    this.adds ??= new Map();
    let adds = this.adds.get(bin);
    if (!adds) {
      adds = { float, buckets: null, tops: null };
      this.adds.set(bin, adds);
    }
    return adds;
  }

  /** Adds `value` under map key `bucketKey(index)` of a map bin; `float` for doubles (decayed sums). */
  bucketAdd(bin: string, index: number, value: number, float = false): void {
    const adds = this.binAdds(bin, float);
    adds.buckets ??= new Map();
    sumInto(adds.buckets, index, value);
  }

  /** Adds a decayed weight under map key `topKey(period, member)` (decayed_top maps, doubles). */
  topAdd(bin: string, period: number, member: string, value: number): void {
    const adds = this.binAdds(bin, true);
    adds.tops ??= new Map();
    let members = adds.tops.get(period);
    if (!members) {
      members = new Map();
      adds.tops.set(period, members);
    }
    sumInto(members, member, value);
  }

  /** Removes map keys below `bucketKey(index)` after the adds; the highest bound asked for wins. */
  trimBelow(bin: string, index: number): void {
    this.removeBelow ??= new Map();
    const current = this.removeBelow.get(bin);
    if (current === undefined || index > current) this.removeBelow.set(bin, index);
  }

  /**
   * Pushes one event's values to the front of a list bin. Call in event time
   * order (oldest first): later calls end up nearer the front. The values are
   * kept as given (not copied): do not change them afterwards.
   */
  pushFront(
    bin: string,
    values: readonly string[],
    options: { unique: boolean; cap: number },
  ): void {
    if (values.length === 0) return;
    this.pushes ??= new Map();
    let push = this.pushes.get(bin);
    if (!push) {
      push = { blocks: [], unique: options.unique, cap: options.cap };
      this.pushes.set(bin, push);
    }
    push.blocks.push(values);
  }

  /** Sets `_t[bin]` to the write time, so the served value has an age. */
  stamp(bin: string): void {
    this.stamped ??= new Set();
    this.stamped.add(bin);
  }

  /** Reads the bin back after the writes (for trimming and derived values). */
  read(bin: string): void {
    this.reads ??= new Set();
    this.reads.add(bin);
  }

  /** Reads the map bin's entry count back after the writes (to decide on trimming). */
  readSize(bin: string): void {
    this.sizes ??= new Set();
    this.sizes.add(bin);
  }

  /** Distinct map keys this batch adds to a decayed_top bin: the most the map can grow by. */
  addedTopKeys(bin: string): number {
    const tops = this.adds?.get(bin)?.tops;
    if (!tops) return 0;
    let count = 0;
    for (const members of tops.values()) count += members.size;
    return count;
  }

  /** Turns a size read of `bin` (if asked for) into a read of the whole map, for trimming it. */
  readInsteadOfSize(bin: string): void {
    if (this.sizes?.delete(bin)) this.read(bin);
  }

  /** The single operate: adds, then trims, then list pushes, then stamps, then reads. */
  toOperations(now: number): Operation[] {
    const ops: Operation[] = [];
    if (this.adds) {
      for (const [bin, { float, buckets, tops }] of this.adds) {
        if (buckets) {
          for (const [index, value] of buckets) {
            if (value !== 0) ops.push({ op: "mapAdd", bin, key: bucketKey(index), value, float });
          }
        }
        if (tops) {
          for (const [period, members] of tops) {
            for (const [member, value] of members) {
              if (value !== 0) {
                ops.push({ op: "mapAdd", bin, key: topKey(period, member), value, float });
              }
            }
          }
        }
      }
    }
    if (this.removeBelow) {
      for (const [bin, index] of this.removeBelow) {
        ops.push({ op: "mapRemoveBelow", bin, key: bucketKey(index) });
      }
    }
    if (this.pushes) {
      for (const [bin, push] of this.pushes) {
        const values = newestFirst(push);
        ops.push({ op: "listPush", bin, values, front: true, unique: push.unique, cap: push.cap });
      }
    }
    if (this.stamped) {
      const items: { [key: string]: number } = {};
      for (const bin of this.stamped) items[bin] = now;
      ops.push({ op: "mapPutItems", bin: WRITTEN_AT_BIN, items });
    }
    if (this.reads) for (const bin of this.reads) ops.push({ op: "read", bin });
    if (this.sizes) for (const bin of this.sizes) ops.push({ op: "mapSize", bin });
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

/**
 * All records a batch writes, each once. Records are found by entity and
 * key parts through nested maps, so no key string or `RecordKey` is built
 * per event, only per distinct record.
 */
export class BatchWrites {
  /** Entity -> first key part -> second key part ("" for one-part keys) -> writes. */
  private readonly records = new Map<string, Map<string, Map<string, RecordWrites>>>();
  private count = 0;

  constructor(private readonly ns: string) {}

  /** The record of an entity with a one-part key (user, session, region). */
  record(entity: string, key: string): RecordWrites {
    return this.find(entity, key, "", key);
  }

  /** The record of an entity keyed by two parts (item_region, user_category). */
  record2(entity: string, first: string, second: string): RecordWrites {
    return this.find(entity, first, second, null);
  }

  private find(entity: string, first: string, second: string, key: string | null): RecordWrites {
    let byFirst = this.records.get(entity);
    if (!byFirst) {
      byFirst = new Map();
      this.records.set(entity, byFirst);
    }
    let bySecond = byFirst.get(first);
    if (!bySecond) {
      bySecond = new Map();
      byFirst.set(first, bySecond);
    }
    let record = bySecond.get(second);
    if (!record) {
      record = new RecordWrites({
        ns: this.ns,
        set: featureSet(entity),
        key: key ?? joinKey([first, second]),
      });
      bySecond.set(second, record);
      this.count++;
    }
    return record;
  }

  *[Symbol.iterator](): IterableIterator<RecordWrites> {
    for (const byFirst of this.records.values()) {
      for (const bySecond of byFirst.values()) yield* bySecond.values();
    }
  }

  get size(): number {
    return this.count;
  }
}
