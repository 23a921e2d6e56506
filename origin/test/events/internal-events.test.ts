import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { InternalEventsResponse, MAX_EVENTS_PER_BATCH } from "#shared/api/events";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import { loadOriginConfig } from "../../src/config/origin-config.js";
import { createEventLog } from "../../src/events/event-log.js";
import { featureRecordKey } from "../../src/features/layout.js";
import { type RunningOrigin, startOrigin } from "../../src/start-origin.js";
import { signedPost } from "../support/origin-requests.js";
import { runTag, viewEvent } from "./support/events.js";
import { featureSnapshot, viewsCounted } from "./support/feature-reads.js";
import { describeEachStore } from "./support/store-variants.js";
import { testProcessor } from "./support/test-processor.js";

const SECRET = "internal-events-test-secret";
const PATH = "/internal/events";
const HOUR_MS = 3600_000;

describeEachStore("origin POST /internal/events", (variant) => {
  const dir = mkdtempSync(join(tmpdir(), "reco-events-api-"));
  const tag = runTag();
  const region = `r-${tag.slice(0, 6)}`;
  let origin: RunningOrigin;
  let ns: string;

  beforeAll(async () => {
    const config = loadOriginConfig({
      ...variant.env(dir),
      ORIGIN_PORT: "0",
      ORIGIN_SIGNING_SECRET: SECRET,
      REGION: region,
      LOG_LEVEL: "silent",
    });
    ns = config.store.namespace;
    origin = await startOrigin(config, testProcessor(config));
  });
  afterAll(async () => {
    await origin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function deliver(events: unknown[]): Promise<InternalEventsResponse> {
    const response = await signedPost(origin.url, PATH, { events }, SECRET);
    expect(response.status).toBe(200);
    const result = InternalEventsResponse.parse(await response.json());
    // The answer comes once the events are logged; the features are written behind it.
    await origin.eventsApplied();
    return result;
  }

  it("applies new events to the real-time features and says so", async () => {
    const item = `it-${tag}-a`;
    const events = [1, 2, 3].map(() => viewEvent({ itemIds: [item], region }));
    expect(await deliver(events)).toEqual({ applied: 3, duplicates: 0, rejected: [] });
    expect(await viewsCounted(origin.store, ns, item, region)).toBe(3);
  });

  it("is idempotent: the same batch twice changes no feature bin", async () => {
    const items = [`it-${tag}-b1`, `it-${tag}-b2`];
    const users = [`u-${tag}-b`];
    const sessions = [`s-${tag}-b`];
    const types = ["view", "click", "add_to_cart", "purchase", "impression"] as const;
    const events = types.map((type, i) =>
      viewEvent({
        type,
        userId: users[0],
        sessionId: sessions[0],
        itemIds: [items[i % 2] as string],
        region,
      }),
    );
    expect(await deliver(events)).toMatchObject({ applied: 5, duplicates: 0 });
    const touched = { users, sessions, items, region };
    const before = await featureSnapshot(origin.store, ns, touched);
    expect(before.some((bins) => bins !== null)).toBe(true);
    expect(await deliver(events)).toEqual({ applied: 0, duplicates: 5, rejected: [] });
    expect(await featureSnapshot(origin.store, ns, touched)).toEqual(before);
  });

  it("keeps the good events of a batch and reports the bad ones by index", async () => {
    const item = `it-${tag}-c`;
    const good = () => viewEvent({ itemIds: [item], region });
    const result = await deliver([
      good(),
      { ...good(), type: "teleport" },
      good(),
      { ...good(), ts: Date.now() + HOUR_MS },
      { ...good(), ts: Date.now() - 8 * 24 * HOUR_MS },
      { ...good(), userId: undefined, sessionId: undefined },
      "not an event",
    ]);
    expect(result.applied).toBe(2);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 3, 4, 5, 6]);
    expect(result.rejected[0]?.reason).toContain("type:");
    expect(result.rejected[1]?.reason).toContain("future");
    expect(result.rejected[2]?.reason).toContain("dedupe window");
    expect(result.rejected[3]?.reason).toContain("userId");
    expect(await viewsCounted(origin.store, ns, item, region)).toBe(2);
  });

  it("counts a repeated id inside one batch once", async () => {
    const item = `it-${tag}-d`;
    const event = viewEvent({ itemIds: [item], region });
    expect(await deliver([event, event, { ...event }])).toEqual({
      applied: 1,
      duplicates: 2,
      rejected: [],
    });
    expect(await viewsCounted(origin.store, ns, item, region)).toBe(1);
  });

  it("applies an event once when the same batch arrives concurrently", async () => {
    const item = `it-${tag}-e`;
    const events = Array.from({ length: 50 }, () => viewEvent({ itemIds: [item], region }));
    const results = await Promise.all([1, 2, 3, 4].map(() => deliver(events)));
    expect(results.reduce((sum, r) => sum + r.applied, 0)).toBe(50);
    expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(150);
    expect(await viewsCounted(origin.store, ns, item, region)).toBe(50);
  });

  it("re-applies an event a crash left pending in the event log", async () => {
    const item = `it-${tag}-f`;
    const event = { ...viewEvent({ itemIds: [item], region }), region };
    // What a crash after the log write and before the apply leaves behind.
    const log = createEventLog(origin.eventLogStore, ns, 3600);
    expect(await log.claim([event], Date.now())).toEqual(["new"]);
    expect(await deliver([event])).toEqual({ applied: 1, duplicates: 0, rejected: [] });
    expect(await log.status(event.id)).toBe("applied");
    expect(await viewsCounted(origin.store, ns, item, region)).toBe(1);
  });

  it("sorts one batch into new, duplicate and leftover events", async () => {
    const item = `it-${tag}-g`;
    const make = () => ({ ...viewEvent({ itemIds: [item], region }), region });
    const [seen, leftover, fresh] = [make(), make(), make()];
    expect(await deliver([seen])).toMatchObject({ applied: 1 });
    await createEventLog(origin.eventLogStore, ns, 3600).claim([leftover], Date.now());
    expect(await deliver([seen, leftover, fresh])).toEqual({
      applied: 2,
      duplicates: 1,
      rejected: [],
    });
    expect(await viewsCounted(origin.store, ns, item, region)).toBe(3);
  });

  it("refuses bodies that are not a batch of events", async () => {
    await expectError(await signedPost(origin.url, PATH, "{nope", SECRET), 400, "invalid_request");
    await expectError(
      await signedPost(origin.url, PATH, { events: [] }, SECRET),
      400,
      "invalid_request",
      "events",
    );
    const tooMany = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => viewEvent());
    await expectError(
      await signedPost(origin.url, PATH, { events: tooMany }, SECRET),
      400,
      "invalid_request",
      "events",
    );
  });

  it("reads the body as UTF-8: non-ASCII text arrives intact, a leading byte-order mark is dropped", async () => {
    const session = `s-${tag}-utf8`;
    const query = "crème brûlée ☕ 日本茶";
    const event = viewEvent({
      type: "search",
      itemIds: [],
      sessionId: session,
      region,
      context: { query },
    });
    const body = `\uFEFF${JSON.stringify({ events: [event] })}`;
    const response = await signedPost(origin.url, PATH, body, SECRET);
    expect(response.status).toBe(200);
    expect(InternalEventsResponse.parse(await response.json())).toEqual({
      applied: 1,
      duplicates: 0,
      rejected: [],
    });
    await origin.eventsApplied();
    // The session's last actions name the search by its query, as the shopper typed it.
    const record = await origin.store.get(featureRecordKey(ns, "session", session));
    expect(JSON.stringify(record?.bins)).toContain(JSON.stringify(`search:${query}`).slice(1, -1));
  });

  it("refuses unsigned and wrongly signed deliveries (.security)", async () => {
    const body = JSON.stringify({ events: [viewEvent({ region })] });
    const unsigned = await fetch(`${origin.url}${PATH}`, { method: "POST", body });
    await expectError(unsigned, 401, "unauthorized", "not signed");
    const forged = await signedPost(origin.url, PATH, body, "some-other-secret-entirely");
    await expectError(forged, 401, "unauthorized", "does not match");
  });
});
