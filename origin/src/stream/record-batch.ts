import { bucketKey, featureSet, joinKey, topKey, WRITTEN_AT_BIN } from "../features/layout.js";
import type { Operation, RecordKey } from "../store/port.js";
import type { TopTrimBound } from "./top-trim.js";

interface ListOptions {
  unique: boolean;
  cap: number;
}

interface ListPush {
  bin: string;
  /** One block per event, oldest event first; each block in the event's own order. */
  blocks: (readonly string[])[];
  /**
   * Per block, the prefix its values are written with (`<prefix>:<value>`), if
   * any; `null` while no block has one. Built only for the values the cap keeps:
   * a busy session's batch pushes several times more actions than the list holds.
   */
  prefixes: (string | undefined)[] | null;
  unique: boolean;
  cap: number;
}

/**
 * What the records of one batch share: the sums of their map adds, one slot
 * per distinct map key in one typed array (no boxed number per add, no Map
 * write per add), and the map key strings of its time buckets and decay
 * periods, each built once per batch instead of once per record.
 */
class BatchSums {
  private values = new Float64Array(4096);
  private count = 0;
  private readonly bucketKeys = new Map<number, string>();
  /**
   * Decay period -> its key prefix (`topKey(period, "")`, padded once) and
   * member -> map key: one string per distinct key, shared by all records.
   */
  private readonly topKeys = new Map<number, { prefix: string; keys: Map<string, string> }>();

  /** A new slot holding 0. */
  slot(): number {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.count * 2);
      grown.set(this.values);
      this.values = grown;
    }
    return this.count++;
  }

  add(slot: number, value: number): void {
    this.values[slot] = (this.values[slot] as number) + value;
  }

  get(slot: number): number {
    return this.values[slot] as number;
  }

  bucketKey(index: number): string {
    let key = this.bucketKeys.get(index);
    if (key === undefined) {
      key = bucketKey(index);
      this.bucketKeys.set(index, key);
    }
    return key;
  }

  /**
   * `topKey(period, member)`, built once per batch: a partner item's key is
   * added to in the maps of many records (co-visitation), and one string per
   * key saves a concatenation per add and the store flattening each copy (it
   * flattens the shared one once).
   */
  topKey(period: number, member: string): string {
    let inPeriod = this.topKeys.get(period);
    if (inPeriod === undefined) {
      inPeriod = { prefix: topKey(period, ""), keys: new Map() };
      this.topKeys.set(period, inPeriod);
    }
    let key = inPeriod.keys.get(member);
    if (key === undefined) {
      key = inPeriod.prefix + member;
      inPeriod.keys.set(member, key);
    }
    return key;
  }
}

/**
 * The adds to one map bin: slots of the batch's sums, not map key strings,
 * until the batch is written (a hot record gets thousands of adds per batch
 * and few distinct keys). A record almost always sees one time bucket and
 * one decay period per batch: the first is held inline, a Map only for more.
 */
interface BinAdds {
  bin: string;
  float: boolean;
  /** First time bucket or decay period index (map key `bucketKey(index)`) and its slot; -1: none. */
  bucket: number;
  bucketSlot: number;
  /** Later bucket indexes -> slot, in insertion order. */
  moreBuckets: Map<number, number> | null;
  /** First decay period and its members -> slot (map key `topKey(period, member)`). */
  period: number;
  members: Map<string, number> | null;
  /** Later periods -> members -> slot. */
  morePeriods: Map<number, Map<string, number>> | null;
}

function slotOf<K>(slots: Map<K, number>, key: K, sums: BatchSums): number {
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = sums.slot();
    slots.set(key, slot);
  }
  return slot;
}

/**
 * Adds `value` to the list if missing (small lists of bins: a scan beats a
 * Set). A new list is a one-element literal: most hold one bin, and an empty
 * array grown by push reserves 17 slots.
 */
function addOnce(list: string[] | null, value: string): string[] {
  if (list === null) return [value];
  if (!list.includes(value)) list.push(value);
  return list;
}

/**
 * The writes one batch makes to one record, aggregated so the record gets a
 * single atomic `operate`: map adds to the same key are summed, list pushes
 * are concatenated newest first, trims keep their tightest bound. Everything
 * is created on first use: most records get one or two kinds of write. A
 * record has a handful of bins, so they are kept in small arrays, scanned.
 */
export class RecordWrites {
  private adds: BinAdds[] | null = null;
  private trimBins: string[] | null = null;
  private trimIndexes: number[] | null = null;
  private pushes: ListPush[] | null = null;
  private stamped: string[] | null = null;
  private reads: string[] | null = null;
  private sizes: string[] | null = null;
  /** Decayed_top bins the write itself trims (`mapTrimTop`), with their bounds. */
  private topTrims: { bin: string; bound: TopTrimBound }[] | null = null;
  private id: string | null = null;
  /** Record TTL in seconds for this write (refreshes the expiry); absent keeps it. */
  ttl: number | undefined;
  /** The process-level memory of this record's window trims (`WindowTrims.of`), found once per batch. */
  windowTrims: Map<string, number> | null = null;

  constructor(
    readonly key: RecordKey,
    private readonly sums: BatchSums,
  ) {}

  /** `<set>/<key>`: the record's id in the processor's process-level memories, built once. */
  get recordId(): string {
    this.id ??= `${this.key.set}/${this.key.key}`;
    return this.id;
  }

  private binAdds(bin: string, float: boolean): BinAdds {
    if (this.adds) for (const adds of this.adds) if (adds.bin === bin) return adds;
    const adds: BinAdds = {
      bin,
      float,
      bucket: -1,
      bucketSlot: -1,
      moreBuckets: null,
      period: -1,
      members: null,
      morePeriods: null,
    };
    if (this.adds) this.adds.push(adds);
    else this.adds = [adds];
    return adds;
  }

  /** Adds `value` under map key `bucketKey(index)` of a map bin; `float` for doubles (decayed sums). */
  bucketAdd(bin: string, index: number, value: number, float = false): void {
    const adds = this.binAdds(bin, float);
    let slot: number;
    if (adds.bucketSlot === -1) {
      adds.bucket = index;
      slot = adds.bucketSlot = this.sums.slot();
    } else if (adds.bucket === index) {
      slot = adds.bucketSlot;
    } else {
      adds.moreBuckets ??= new Map();
      slot = slotOf(adds.moreBuckets, index, this.sums);
    }
    this.sums.add(slot, value);
  }

  /**
   * Adds a decayed weight under map key `topKey(period, member)` (decayed_top
   * maps, doubles). Returns the slot added to: `BatchWrites.addToSlot` adds
   * to the same map key again without finding it.
   */
  topAdd(bin: string, period: number, member: string, value: number): number {
    const adds = this.binAdds(bin, true);
    let members: Map<string, number>;
    if (adds.members === null) {
      adds.period = period;
      members = adds.members = new Map();
    } else if (adds.period === period) {
      members = adds.members;
    } else {
      adds.morePeriods ??= new Map();
      let more = adds.morePeriods.get(period);
      if (!more) {
        more = new Map();
        adds.morePeriods.set(period, more);
      }
      members = more;
    }
    const slot = slotOf(members, member, this.sums);
    this.sums.add(slot, value);
    return slot;
  }

  /** Removes map keys below `bucketKey(index)` after the adds; the highest bound asked for wins. */
  trimBelow(bin: string, index: number): void {
    this.trimBins ??= [];
    this.trimIndexes ??= [];
    const at = this.trimBins.indexOf(bin);
    if (at === -1) {
      this.trimBins.push(bin);
      this.trimIndexes.push(index);
    } else if (index > (this.trimIndexes[at] as number)) {
      this.trimIndexes[at] = index;
    }
  }

  /**
   * Pushes one event's values to the front of a list bin. Call in event time
   * order (oldest first): later calls end up nearer the front. The values are
   * kept as given (not copied): do not change them afterwards. On a unique
   * list, a block equal to the one before it changes nothing and is dropped
   * (an item viewed, carted and bought is one block, not three).
   */
  pushFront(bin: string, values: readonly string[], options: ListOptions): void {
    if (values.length === 0) return;
    const push = this.listPush(bin, options);
    if (push.unique && sameValues(push.blocks[push.blocks.length - 1], values)) return;
    push.blocks.push(values);
    push.prefixes?.push(undefined);
  }

  /**
   * `pushFront` of `<prefix>:<value>` for each of `values`, on a list that is
   * not unique (the strings are built when the batch is written, and only
   * those the cap keeps).
   */
  pushPrefixedFront(
    bin: string,
    prefix: string,
    values: readonly string[],
    options: ListOptions & { unique: false },
  ): void {
    if (values.length === 0) return;
    const push = this.listPush(bin, options);
    push.prefixes ??= new Array<string | undefined>(push.blocks.length).fill(undefined);
    push.blocks.push(values);
    push.prefixes.push(prefix);
  }

  /** `pushFront(bin, [value], options)`, without building the block when it repeats the last one. */
  pushOneFront(bin: string, value: string, options: ListOptions): void {
    const push = this.listPush(bin, options);
    const last = push.blocks[push.blocks.length - 1];
    if (push.unique && last?.length === 1 && last[0] === value) return;
    push.blocks.push([value]);
    push.prefixes?.push(undefined);
  }

  private listPush(bin: string, options: ListOptions): ListPush {
    this.pushes ??= [];
    for (const push of this.pushes) if (push.bin === bin) return push;
    const push: ListPush = {
      bin,
      blocks: [],
      prefixes: null,
      unique: options.unique,
      cap: options.cap,
    };
    this.pushes.push(push);
    return push;
  }

  /** Sets `_t[bin]` to the write time, so the served value has an age. */
  stamp(bin: string): void {
    this.stamped = addOnce(this.stamped, bin);
  }

  /** Reads the bin back after the writes (for trimming and derived values). */
  read(bin: string): void {
    this.reads = addOnce(this.reads, bin);
  }

  /**
   * Reads the map bin's entry count back after the writes (to decide on
   * trimming), unless the processor turns it into a read of the map
   * (`readInsteadOfSize`) or a trim in the write (`trimInsteadOfSize`).
   */
  readSize(bin: string): void {
    this.sizes = addOnce(this.sizes, bin);
  }

  /** Distinct map keys this batch adds to a decayed_top bin: the most the map can grow by. */
  addedTopKeys(bin: string): number {
    const adds = this.adds?.find((a) => a.bin === bin);
    if (!adds?.members) return 0;
    let count = adds.members.size;
    if (adds.morePeriods) for (const members of adds.morePeriods.values()) count += members.size;
    return count;
  }

  /** Turns a size read of `bin` (if asked for) into a read of the whole map, for trimming it. */
  readInsteadOfSize(bin: string): void {
    const at = this.sizes?.indexOf(bin) ?? -1;
    if (at === -1) return;
    this.sizes?.splice(at, 1);
    this.read(bin);
  }

  /**
   * Turns a size read of `bin` (if asked for) into a `mapTrimTop` of it after
   * this write's adds, on stores that trim in the write (`supportsTopTrim`):
   * nothing is read back and no second write trims.
   */
  trimInsteadOfSize(bin: string, bound: TopTrimBound): void {
    const at = this.sizes?.indexOf(bin) ?? -1;
    if (!this.sizes || at === -1) return;
    this.sizes.splice(at, 1);
    this.topTrims ??= [];
    if (this.topTrims.some((trim) => trim.bin === bin)) return;
    this.topTrims.push({ bin, bound });
  }

  /** The single operate: adds, then trims, then list pushes, then stamps, then reads. */
  toOperations(now: number): Operation[] {
    const ops: Operation[] = [];
    const sums = this.sums;
    if (this.adds) {
      for (const {
        bin,
        float,
        bucket,
        bucketSlot,
        moreBuckets,
        period,
        members,
        morePeriods,
      } of this.adds) {
        if (bucketSlot !== -1) {
          addBucket(ops, sums, bin, float, bucket, bucketSlot);
          if (moreBuckets) {
            for (const [index, slot] of moreBuckets) addBucket(ops, sums, bin, float, index, slot);
          }
        }
        if (members) {
          addMembers(ops, sums, bin, float, period, members);
          if (morePeriods) {
            for (const [later, more] of morePeriods) addMembers(ops, sums, bin, float, later, more);
          }
        }
      }
    }
    if (this.trimBins) {
      this.trimBins.forEach((bin, i) => {
        const key = sums.bucketKey(this.trimIndexes?.[i] as number);
        ops.push({ op: "mapRemoveBelow", bin, key });
      });
    }
    if (this.topTrims) {
      for (const { bin, bound } of this.topTrims) {
        const { above, keep, halfLifeSeconds } = bound;
        ops.push({ op: "mapTrimTop", bin, above, keep, halfLifeSeconds, now });
      }
    }
    if (this.pushes) {
      for (const push of this.pushes) {
        const values = newestFirst(push);
        ops.push({
          op: "listPush",
          bin: push.bin,
          values,
          front: true,
          unique: push.unique,
          cap: push.cap,
        });
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

function addBucket(
  ops: Operation[],
  sums: BatchSums,
  bin: string,
  float: boolean,
  index: number,
  slot: number,
): void {
  const value = sums.get(slot);
  if (value !== 0) ops.push({ op: "mapAdd", bin, key: sums.bucketKey(index), value, float });
}

function addMembers(
  ops: Operation[],
  sums: BatchSums,
  bin: string,
  float: boolean,
  period: number,
  members: Map<string, number>,
): void {
  // forEach, not for...of: no [key, value] array per entry (hot: ~4 map adds per event).
  members.forEach((slot, member) => {
    const value = sums.get(slot);
    if (value !== 0) {
      ops.push({ op: "mapAdd", bin, key: sums.topKey(period, member), value, float });
    }
  });
}

function sameValues(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The pushed values newest first, deduplicated (first = newest copy wins) when unique, capped. */
function newestFirst(push: ListPush): string[] {
  const out: string[] = [];
  const seen = push.unique ? new Set<string>() : null;
  for (let i = push.blocks.length - 1; i >= 0 && out.length < push.cap; i--) {
    const prefix = push.prefixes?.[i];
    for (const raw of push.blocks[i] ?? []) {
      const value = prefix === undefined ? raw : `${prefix}:${raw}`;
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
 * The records sharing a first key part, in the order they were added: a
 * chain, not a Map per first part (almost always one record: one region per
 * item, and "" as the second part of one-part keys).
 */
interface SameFirst {
  second: string;
  record: RecordWrites;
  next: SameFirst | null;
}

/** One entity's records, with the one found last (an event's records are found again and again). */
interface EntityRecords {
  /** The entity's set name, built once per batch: its records share the string (hashed once). */
  set: string;
  /** First key part -> its records by second key part ("" for one-part keys). */
  byFirst: Map<string, SameFirst>;
  lastFirst: string;
  lastSecond: string;
  last: RecordWrites | null;
}

/**
 * All records a batch writes, each once. Records are found by entity and
 * key parts (a map per entity, then a chain per first part), so no key
 * string or `RecordKey` is built per event, only per distinct record.
 */
export class BatchWrites {
  private readonly records = new Map<string, EntityRecords>();
  private readonly sums = new BatchSums();
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

  /** Adds `value` to the map key whose slot a `topAdd` returned. */
  addToSlot(slot: number, value: number): void {
    this.sums.add(slot, value);
  }

  private find(entity: string, first: string, second: string, key: string | null): RecordWrites {
    let records = this.records.get(entity);
    if (!records) {
      records = {
        set: featureSet(entity),
        byFirst: new Map(),
        lastFirst: "",
        lastSecond: "",
        last: null,
      };
      this.records.set(entity, records);
    } else if (records.last && records.lastFirst === first && records.lastSecond === second) {
      return records.last;
    }
    const head = records.byFirst.get(first);
    let entry = head;
    let tail: SameFirst | undefined;
    while (entry && entry.second !== second) {
      tail = entry;
      entry = entry.next ?? undefined;
    }
    let record: RecordWrites;
    if (entry) {
      record = entry.record;
    } else {
      record = new RecordWrites(
        { ns: this.ns, set: records.set, key: key ?? joinKey([first, second]) },
        this.sums,
      );
      const added: SameFirst = { second, record, next: null };
      if (tail) tail.next = added;
      else records.byFirst.set(first, added);
      this.count++;
    }
    records.lastFirst = first;
    records.lastSecond = second;
    records.last = record;
    return record;
  }

  *[Symbol.iterator](): IterableIterator<RecordWrites> {
    for (const { byFirst } of this.records.values()) {
      for (const head of byFirst.values()) {
        for (let entry: SameFirst | null = head; entry; entry = entry.next) yield entry.record;
      }
    }
  }

  get size(): number {
    return this.count;
  }
}
