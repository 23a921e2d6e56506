/**
 * Old time buckets need removing once per bucket boundary, not on every
 * write: this remembers, per record and counter bin, the lowest bucket kept
 * by this process's last trim, so a hot item's writes skip the removal until
 * the window moves on. Buckets a skipped trim leaves behind are outside the
 * window, so reads ignore them; the next boundary removes them.
 */
export class WindowTrims {
  private readonly lastTrim = new Map<string, string>();

  /** 200k records × bins is a few tens of MB at most; beyond it the oldest entries go. */
  constructor(private readonly maxEntries = 200_000) {}

  /** Whether a write must remove keys below `lowestKept`; records that it will. */
  due(recordId: string, bin: string, lowestKept: string): boolean {
    const id = `${recordId}\u0000${bin}`;
    if (this.lastTrim.get(id) === lowestKept) return false;
    this.lastTrim.delete(id);
    if (this.lastTrim.size >= this.maxEntries) {
      const oldest = this.lastTrim.keys().next().value;
      if (oldest !== undefined) this.lastTrim.delete(oldest);
    }
    this.lastTrim.set(id, lowestKept);
    return true;
  }
}
