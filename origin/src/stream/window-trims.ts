import { rememberNewest } from "./remember-newest.js";

/**
 * Old time buckets need removing once per bucket boundary, not on every
 * write: this remembers, per record and counter bin, the lowest bucket kept
 * by this process's last trim, so a hot item's writes skip the removal until
 * the window moves on. Buckets a skipped trim leaves behind are outside the
 * window, so reads ignore them; the next boundary removes them.
 */
export class WindowTrims {
  /** Record id -> bin -> lowest bucket index kept (nested: no key string built per event). */
  private readonly lastTrim = new Map<string, Map<string, number>>();

  /** 200k records is a few tens of MB at most; beyond it the oldest records go. */
  constructor(private readonly maxEntries = 200_000) {}

  /**
   * The memory of one record's trims (bin -> lowest bucket kept), created if
   * new: a batch looks a record up once and asks `due` for each of its bins.
   */
  of(recordId: string): Map<string, number> {
    let bins = this.lastTrim.get(recordId);
    if (!bins) {
      bins = new Map();
      // A new record only: one already remembered keeps its place (the oldest record goes first).
      rememberNewest(this.lastTrim, recordId, bins, this.maxEntries);
    }
    return bins;
  }

  /** Whether a write must remove buckets below `lowestKept` (`bins` from `of`); records that it will. */
  static due(bins: Map<string, number>, bin: string, lowestKept: number): boolean {
    if (bins.get(bin) === lowestKept) return false;
    bins.set(bin, lowestKept);
    return true;
  }
}
