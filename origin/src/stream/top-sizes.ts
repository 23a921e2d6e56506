import { rememberNewest } from "./remember-newest.js";

/**
 * The entry counts this process last saw in its decayed_top maps (from the
 * size or the map its writes read back), so a write can read the whole map
 * back only when its adds may push it past the trim bound: the trim then
 * works on that copy instead of reading the record a second time, and the
 * other writes keep reading just the size (a whole map is dear to ship from
 * Aerospike). Counts may be stale (another batch in flight, a failed trim):
 * the size read back then says so, and the trim path that reads first
 * catches up.
 */
export class TopSizes {
  /** `<set>/<key>` -> entries after this process's last write or trim. */
  private readonly sizes = new Map<string, number>();

  /** 200k records is a few MB; beyond it the oldest go (and read their size again). */
  constructor(private readonly maxEntries = 200_000) {}

  /** Whether a map last seen at some size may exceed `bound` after `added` new keys. */
  mayExceed(recordId: string, added: number, bound: number): boolean {
    const last = this.sizes.get(recordId);
    return last !== undefined && last + added > bound;
  }

  /** Records the map's entry count after a write (or the count a trim leaves). */
  set(recordId: string, size: number): void {
    rememberNewest(this.sizes, recordId, size, this.maxEntries);
  }
}
