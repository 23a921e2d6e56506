import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AcceptedEvent } from "#shared/api/events";
import { joinKey } from "../../src/features/layout.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import { StoreError } from "../../src/store/port.js";
import {
  createThreadedStreamProcessor,
  type ThreadedStreamProcessor,
} from "../../src/stream/threaded-stream-processor.js";
import { featureReader } from "../support/feature-reader.js";

describe("threaded stream processor (LMDB)", () => {
  const dir = mkdtempSync(join(tmpdir(), "reco-threaded-"));
  const config = { kind: "lmdb" as const, namespace: "test", path: join(dir, "db") };
  let store: LmdbStore;
  let processor: ThreadedStreamProcessor;

  beforeAll(async () => {
    store = new LmdbStore({ path: config.path });
    processor = await createThreadedStreamProcessor({ store: config, region: "eu" });
  });
  afterAll(async () => {
    await processor.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the features on its thread, visible to the main thread's store at once", async () => {
    const now = Date.now();
    const view = (i: number, item: string): AcceptedEvent => ({
      id: `threaded-${i}`,
      type: "view",
      sessionId: "s-threaded",
      itemIds: [item],
      region: "eu",
      ts: now - 1000 + i,
      context: { category: "shoes" },
    });
    await processor.apply([view(1, "a"), view(2, "b"), view(3, "a")]);
    const read = featureReader(store, config.namespace, ["eu"]);
    expect((await read("session", "s-threaded", "recent_items", now)).value).toEqual(["a", "b"]);
    expect((await read("item_region", joinKey(["a", "eu"]), "views_1h", now)).value).toBe(2);
    expect((await read("item_region", joinKey(["a", "eu"]), "co_visited", now)).value).toEqual([
      "b",
    ]);
    expect((await read("session", "s-threaded", "intent_category", now)).value).toBe("shoes");
  });

  it("applies the deliveries' own JSON when given it, in order", async () => {
    const now = Date.now();
    const view = (i: number, item: string): AcceptedEvent => ({
      id: `chunked-${i}`,
      type: "view",
      sessionId: "s-chunked",
      itemIds: [item],
      region: "eu",
      ts: now - 1000 + i,
    });
    const first = [view(1, "c1"), view(2, "c2")];
    const second = [view(3, "c3")];
    await processor.apply([...first, ...second], [JSON.stringify(first), JSON.stringify(second)]);
    const read = featureReader(store, config.namespace, ["eu"]);
    expect((await read("session", "s-chunked", "recent_items", now)).value).toEqual([
      "c3",
      "c2",
      "c1",
    ]);
    expect((await read("item_region", joinKey(["c2", "eu"]), "views_1h", now)).value).toBe(1);
  });

  it("says when a batch's writes are in, before it is durable, and a batch sent then sees them", async () => {
    const now = Date.now();
    const view = (i: number, item: string): AcceptedEvent => ({
      id: `written-${i}`,
      type: "view",
      sessionId: "s-written",
      itemIds: [item],
      region: "eu",
      ts: now - 1000 + i,
    });
    const order: string[] = [];
    let second: Promise<void> | undefined;
    const first = processor.apply([view(1, "w1")], undefined, () => {
      order.push("written");
      // Sent as the applier sends its next flush: co-visitation needs the first batch's item.
      second = processor.apply([view(2, "w2")]);
    });
    await first.then(() => order.push("durable"));
    expect(order).toEqual(["written", "durable"]);
    await second;
    const read = featureReader(store, config.namespace, ["eu"]);
    expect((await read("session", "s-written", "recent_items", now)).value).toEqual(["w2", "w1"]);
    expect((await read("item_region", joinKey(["w2", "eu"]), "co_visited", now)).value).toEqual([
      "w1",
    ]);
  });

  it("fails a dead worker's batch as retryable and applies the next one on a new worker", async () => {
    const crashing = await createThreadedStreamProcessor({
      store: config,
      region: "eu",
      exitOnFirstApply: true,
    });
    try {
      const view = (id: string): AcceptedEvent => ({
        id,
        type: "view",
        sessionId: "s-crash",
        itemIds: ["crash-item"],
        region: "eu",
        ts: Date.now() - 1000,
      });
      const lost = await crashing.apply([view("crash-1")]).catch((error: unknown) => error);
      expect(lost).toBeInstanceOf(StoreError);
      expect((lost as StoreError).code).toBe("unavailable");
      // The applier's retry: the same batch again, now on a new worker.
      await crashing.apply([view("crash-1")]);
      const read = featureReader(store, config.namespace, ["eu"]);
      const views = await read(
        "item_region",
        joinKey(["crash-item", "eu"]),
        "views_1h",
        Date.now(),
      );
      expect(views.value).toBe(1);
    } finally {
      await crashing.close();
    }
  });

  it("refuses work once closed, as a retryable store error", async () => {
    const closing = await createThreadedStreamProcessor({ store: config, region: "eu" });
    await closing.close();
    const outcome = await closing
      .apply([{ id: "threaded-late", type: "view", itemIds: ["x"], region: "eu", ts: Date.now() }])
      .catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(StoreError);
    expect((outcome as StoreError).code).toBe("unavailable");
  });
});
