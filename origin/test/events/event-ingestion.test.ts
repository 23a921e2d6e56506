import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEventIngestion } from "../../src/events/event-ingestion.js";
import { createEventLog } from "../../src/events/event-log.js";
import type { StorePort } from "../../src/store/port.js";
import { runTag, viewEvent } from "./support/events.js";
import { viewsCounted } from "./support/feature-reads.js";
import { describeEachStore, openVariantStore } from "./support/store-variants.js";
import { viewsProcessor } from "./support/views-processor.js";

const DEDUPE_WINDOW_SECONDS = 3600;

describeEachStore("event ingestion when the processor fails", (variant) => {
  const dir = mkdtempSync(`${tmpdir()}/reco-ingestion-`);
  const tag = runTag();
  const region = `f-${tag.slice(0, 6)}`;
  let store: StorePort;
  let ns: string;

  beforeAll(async () => {
    ({ store, ns } = await openVariantStore(variant, dir));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("does not acknowledge, keeps the events pending and applies them once on redelivery", async () => {
    const log = createEventLog(store, ns, DEDUPE_WINDOW_SECONDS);
    const ingestion = createEventIngestion({
      log,
      processor: viewsProcessor(store, ns, 1),
      region,
      dedupeWindowSeconds: DEDUPE_WINDOW_SECONDS,
    });
    const item = `it-${tag}`;
    const events = [1, 2, 3].map(() => viewEvent({ itemIds: [item], region }));

    await expect(ingestion.ingest(events)).rejects.toThrow("processor failed");
    expect(await log.status(events[0]?.id as string)).toBe("pending");
    expect(await viewsCounted(store, ns, item, region)).toBe(0);

    expect(await ingestion.ingest(events)).toEqual({ applied: 3, duplicates: 0, rejected: [] });
    expect(await ingestion.ingest(events)).toEqual({ applied: 0, duplicates: 3, rejected: [] });
    expect(await log.status(events[2]?.id as string)).toBe("applied");
    expect(await viewsCounted(store, ns, item, region)).toBe(3);
  });

  it("fails a concurrent delivery of the same ids when the first one fails, so both are retried", async () => {
    const ingestion = createEventIngestion({
      log: createEventLog(store, ns, DEDUPE_WINDOW_SECONDS),
      processor: viewsProcessor(store, ns, 1),
      region,
      dedupeWindowSeconds: DEDUPE_WINDOW_SECONDS,
    });
    const item = `it-${tag}-c`;
    const events = [1, 2].map(() => viewEvent({ itemIds: [item], region }));
    const [first, second] = await Promise.allSettled([
      ingestion.ingest(events),
      ingestion.ingest(events),
    ]);
    expect(first.status).toBe("rejected");
    expect(second.status).toBe("rejected");
    expect(await ingestion.ingest(events)).toMatchObject({ applied: 2, duplicates: 0 });
    expect(await viewsCounted(store, ns, item, region)).toBe(2);
  });
});
