import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import { type OperateRequest, StoreError } from "../../src/store/port.js";

// `transact` on LMDB: one write transaction whose synchronous reads see every earlier write. The
// stream processor reads the sessions, plans and writes a batch in one, queued while the previous
// batch's transaction is still being committed and flushed.

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-transact-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = (id: string) => ({ ns: "t", set: "s", key: id });
const add = (id: string, value: number): OperateRequest => ({
  key: key(id),
  operations: [{ op: "add", bin: "n", value }],
});

function openStore(name: string): LmdbStore {
  return new LmdbStore({ path: join(dir, name), sweepIntervalMs: 60_000 });
}

describe("LMDB transact", () => {
  it("reads what the transaction before it wrote, even while that one is still committing", async () => {
    const store = openStore("chain");
    await store.operateMany([add("a", 1)]);
    // Not awaited: the second transaction is queued while the first has not resolved.
    const first = store.operateMany([add("a", 10)]);
    const second = store.transact((tx) => {
      const [read] = tx.batchGet([key("a")], ["n"]);
      const seen = read?.bins.n as number;
      const [written] = tx.operateMany([add("b", seen)]);
      return { seen, written };
    });
    await first;
    const { seen, written } = await second;
    expect(seen).toBe(11);
    expect(written).toEqual({ gen: 1, bins: {} });
    // Committed and visible to plain reads (through the read cache) once resolved.
    expect((await store.get(key("b")))?.bins).toEqual({ n: 11 });
    await store.close();
  });

  it("sees its own writes, and returns an invalid request's error while applying the rest", async () => {
    const store = openStore("own");
    const { results, after } = await store.transact((tx) => {
      const results = tx.operateMany([
        add("x", 2),
        { key: key("y"), operations: [{ op: "add", bin: "a bin name over 15 bytes", value: 1 }] },
        add("x", 3),
      ]);
      return { results, after: tx.batchGet([key("x"), key("y")]) };
    });
    expect(results[0]).toEqual({ gen: 1, bins: {} });
    expect(results[1]).toBeInstanceOf(StoreError);
    expect((results[1] as StoreError).code).toBe("invalid_argument");
    expect(results[2]).toEqual({ gen: 2, bins: {} });
    expect(after.map((record) => record?.bins ?? null)).toEqual([{ n: 5 }, null]);
    expect((await store.get(key("x")))?.gen).toBe(2);
    await store.close();
  });

  it("rejects with the error a body throws", async () => {
    const store = openStore("throws");
    const outcome = await store
      .transact(() => {
        throw new Error("planning failed");
      })
      .catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe("planning failed");
    // The store carries on.
    await store.operateMany([add("z", 1)]);
    expect((await store.get(key("z")))?.bins).toEqual({ n: 1 });
    await store.close();
  });
});
