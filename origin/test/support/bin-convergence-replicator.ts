import type { BinValue, RecordKey, StorePort } from "../../src/store/port.js";

/**
 * A test-only stand-in for Aerospike XDR with bin convergence: sites write
 * independently; `replicate()` ships every bin changed since the last round
 * to the other sites, and where several sites changed the same bin, the last
 * writer wins for that bin (sites later in the list count as later, as
 * concurrent writes are ordered by their last-update times). Bins never
 * merge: that is what per-region counter bins are designed around.
 */
export class BinConvergenceReplicator {
  /** Per site: record id -> bin -> encoded value as of the last round. */
  private readonly seen: Map<string, Map<string, string>>[];

  constructor(private readonly sites: readonly StorePort[]) {
    this.seen = sites.map(() => new Map());
  }

  /** Ships the bins of these records changed at any site since the last round, both ways. */
  async replicate(keys: readonly RecordKey[]): Promise<void> {
    for (const key of keys) {
      const id = `${key.ns}/${key.set}/${key.key}`;
      const records = await Promise.all(this.sites.map((site) => site.get(key)));
      const winners = new Map<string, { site: number; value: BinValue }>();
      records.forEach((record, site) => {
        const before = this.seen[site]?.get(id) ?? new Map<string, string>();
        for (const [bin, value] of Object.entries(record?.bins ?? {})) {
          // Later sites overwrite earlier ones: last writer wins per bin.
          if (before.get(bin) !== encode(value)) winners.set(bin, { site, value });
        }
      });
      await Promise.all(
        this.sites.map(async (site, index) => {
          const patch: Record<string, BinValue> = {};
          for (const [bin, winner] of winners) {
            if (winner.site !== index) patch[bin] = winner.value;
          }
          if (Object.keys(patch).length > 0) await site.put(key, patch);
        }),
      );
      const after = await Promise.all(this.sites.map((site) => site.get(key)));
      after.forEach((record, site) => {
        const bins = new Map<string, string>();
        for (const [bin, value] of Object.entries(record?.bins ?? {})) bins.set(bin, encode(value));
        this.seen[site]?.set(id, bins);
      });
    }
  }
}

function encode(value: BinValue): string {
  return value instanceof Uint8Array
    ? `bytes:${Buffer.from(value).toString("hex")}`
    : JSON.stringify(value);
}
