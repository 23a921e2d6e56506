import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import { type OperateRequest, StoreError } from "../../src/store/port.js";

// Create-only operates (`expectGen: 0`) on LMDB write with a no-overwrite put and read only when
// the key is taken (the event log's claim path). These pin that they decide exactly as a read
// and a generation check would: absent or expired creates, live conflicts, expiry still swept.

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-create-only-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = (id: string) => ({ ns: "t", set: "log", key: id });

function createOnly(id: string, value: number, ttl = 10): OperateRequest {
  return {
    key: key(id),
    operations: [
      { op: "put", bin: "v", value },
      { op: "put", bin: "at", value: value * 10 },
    ],
    options: { expectGen: 0, ttl },
  };
}

function openStore(name: string, clock: { now: number }): LmdbStore {
  return new LmdbStore({ path: join(dir, name), now: () => clock.now, sweepIntervalMs: 60_000 });
}

describe("LMDB create-only operate", () => {
  it("creates absent records, refuses live ones and leaves them unchanged, in one batch", async () => {
    const clock = { now: 1_000_000 };
    const store = openStore("batch", clock);
    await store.operateMany([createOnly("taken", 1)]);
    const results = await store.operateMany([
      createOnly("new-1", 2),
      createOnly("taken", 3),
      createOnly("new-2", 4),
      // The same id twice in one transaction: the second sees the first.
      createOnly("new-1", 5),
    ]);
    expect(results[0]).toEqual({ gen: 1, bins: {} });
    expect(results[1]).toBeInstanceOf(StoreError);
    expect((results[1] as StoreError).code).toBe("generation_conflict");
    expect(results[2]).toEqual({ gen: 1, bins: {} });
    expect((results[3] as StoreError).code).toBe("generation_conflict");
    expect(await store.get(key("taken"))).toEqual({
      bins: { v: 1, at: 10 },
      gen: 1,
      expiresAt: 1_010_000,
    });
    expect(await store.get(key("new-1"))).toEqual({
      bins: { v: 2, at: 20 },
      gen: 1,
      expiresAt: 1_010_000,
    });
    await expect(
      store.operate(key("taken"), [{ op: "add", bin: "v", value: 1 }], { expectGen: 0 }),
    ).rejects.toMatchObject({ code: "generation_conflict" });
    await store.close();
  });

  it("re-creates a record that expired but is not swept yet, at generation 1", async () => {
    const clock = { now: 1_000_000 };
    const store = openStore("expired", clock);
    await store.operateMany([createOnly("old", 1)]);
    await store.operate(key("old"), [{ op: "add", bin: "v", value: 1 }]);
    clock.now += 11_000;
    const [result] = await store.operateMany([createOnly("old", 7, 100)]);
    expect(result).toEqual({ gen: 1, bins: {} });
    expect(await store.get(key("old"))).toEqual({
      bins: { v: 7, at: 70 },
      gen: 1,
      expiresAt: 1_111_000,
    });
    // The earlier expiry's index entry no longer matches: the sweep keeps the new record.
    expect(await store.sweepExpired()).toBe(0);
    expect((await store.get(key("old")))?.bins.v).toBe(7);
    await store.close();
  });

  it("indexes the expiry of a created record, so the sweep deletes it once due", async () => {
    const clock = { now: 1_000_000 };
    const store = openStore("sweep", clock);
    await store.operateMany([createOnly("a", 1), createOnly("b", 2), createOnly("c", 3, 1_000)]);
    clock.now += 11_000;
    expect(await store.sweepExpired()).toBe(2);
    expect(await store.get(key("a"))).toBeNull();
    expect((await store.get(key("c")))?.bins.v).toBe(3);
    // Swept away: the id can be created again.
    expect(await store.operateMany([createOnly("a", 9)])).toEqual([{ gen: 1, bins: {} }]);
    await store.close();
  });

  it("reports an operation's error on an absent record as a write with a read would", async () => {
    const clock = { now: 1_000_000 };
    const store = openStore("op-error", clock);
    await store.put(key("text"), { v: "x" });
    const [onText, onAbsent] = await store.operateMany([
      {
        key: key("text"),
        operations: [{ op: "add", bin: "v", value: 1 }],
        options: { expectGen: 0 },
      },
      {
        key: key("absent"),
        operations: [{ op: "add", bin: "v", value: 1 }],
        options: { expectGen: 0 },
      },
    ]);
    // Taken: the conflict, not the operation's type error on the existing bin.
    expect((onText as StoreError).code).toBe("generation_conflict");
    expect(onAbsent).toEqual({ gen: 1, bins: {} });
    expect((await store.get(key("absent")))?.bins.v).toBe(1);
    await store.close();
  });

  it("writes each record of a batch with its own operations, readable after a restart", async () => {
    const clock = { now: 1_000_000 };
    const path = "restart";
    const first = openStore(path, clock);
    // Two shared operations arrays interleaved (a new bin shape for the encoder), and one TTL change.
    const red = [{ op: "put", bin: "colour", value: "red" }] as const;
    const blue = [
      { op: "put", bin: "colour", value: "blue" },
      { op: "add", bin: "n", value: 2 },
    ] as const;
    const requests: OperateRequest[] = Array.from({ length: 40 }, (_, i) => ({
      key: key(`r${i}`),
      operations: i % 2 === 0 ? [...red] : [...blue],
      options: { expectGen: 0, ttl: i < 20 ? 10 : 20 },
    }));
    const shared = requests.map((request, i) => ({
      ...request,
      key: key(`s${i}`),
      operations: i % 4 < 2 ? red : blue,
    }));
    const results = await first.operateMany([...requests, ...shared]);
    expect(results.every((result) => !(result instanceof StoreError) && result.gen === 1)).toBe(
      true,
    );
    await first.close();
    const second = openStore(path, clock);
    const records = await second.batchGet([...requests, ...shared].map((request) => request.key));
    const expected = [...requests, ...shared].map((request, i) => ({
      bins: request.operations.length === 1 ? { colour: "red" } : { colour: "blue", n: 2 },
      gen: 1,
      expiresAt: 1_000_000 + (i % 40 < 20 ? 10_000 : 20_000),
    }));
    expect(records).toEqual(expected);
    await second.close();
  });
});
