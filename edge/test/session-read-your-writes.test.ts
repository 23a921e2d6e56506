import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventType, ShopperEvent } from "#shared/api/events";
import type { EdgeBindings } from "../src/env.js";
import worker from "../src/index.js";
import { readSession, recordSessionEvents } from "../src/session/session-client.js";
import {
  applySessionEvents,
  EMPTY_SESSION,
  MAX_RECENT_CATEGORIES,
  MAX_RECENT_ITEMS,
  SESSION_IDLE_TTL_MS,
  type SessionSnapshot,
} from "../src/session/session-snapshot.js";

const bindings = env as unknown as EdgeBindings;
const URL_EVENTS = "http://edge.test/v1/events";

let clock = Date.now() - 60_000;
function event(type: EventType, itemIds: string[], category?: string): ShopperEvent {
  clock += 1;
  return {
    id: crypto.randomUUID(),
    type,
    sessionId: "page-chosen-id",
    itemIds,
    ts: clock,
    ...(category ? { context: { category } } : {}),
  };
}

/** Posts events as a browser would: with the edge's session cookie once it has one. */
async function post(events: ShopperEvent[], cookie?: string): Promise<Response> {
  const response = await exports.default.fetch(URL_EVENTS, {
    method: "POST",
    body: JSON.stringify({ events }),
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
  });
  await response.arrayBuffer();
  return response;
}

/** A new browser session: the cookie the edge issues and the session id inside it. */
async function newBrowserSession(): Promise<{ cookie: string; sessionId: string }> {
  const response = await post([event("impression", ["warm-up"])]);
  expect(response.status).toBe(202);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0] ?? "";
  const sessionId = decodeURIComponent(cookie.split("=")[1] ?? "").split(".")[0] ?? "";
  expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
  return { cookie, sessionId };
}

describe("session read-your-writes through POST /v1/events", () => {
  it("a posted event is in the session's snapshot as soon as the 202 arrives", async () => {
    const { cookie, sessionId } = await newBrowserSession();
    expect(await readSession(bindings, sessionId)).toEqual(EMPTY_SESSION);

    expect((await post([event("view", ["i00007"], "shoes")], cookie)).status).toBe(202);
    const first = await readSession(bindings, sessionId);
    expect(first).toMatchObject({
      version: 1,
      recentItems: ["i00007"],
      recentCategories: ["shoes"],
    });
    expect(first.updatedAt).toBeGreaterThan(0);

    expect((await post([event("add_to_cart", ["i00003"])], cookie)).status).toBe(202);
    const second = await readSession(bindings, sessionId);
    expect(second.version).toBe(2);
    expect(second.recentItems).toEqual(["i00003", "i00007"]);
  });

  it("records under the cookie's session, never under the id a page writes into events", async () => {
    const { cookie, sessionId } = await newBrowserSession();
    await post([event("click", ["i00042"])], cookie);
    expect((await readSession(bindings, sessionId)).recentItems).toEqual(["i00042"]);
    expect(await readSession(bindings, "page-chosen-id")).toEqual(EMPTY_SESSION);
  });

  it("impressions alone leave the session and its version as they were", async () => {
    const { cookie, sessionId } = await newBrowserSession();
    await post([event("view", ["i00001"])], cookie);
    await post([event("impression", ["i00002", "i00003"]), event("search", [])], cookie);
    expect(await readSession(bindings, sessionId)).toMatchObject({
      version: 1,
      recentItems: ["i00001"],
    });
  });

  it("keeps the newest items and categories up to the caps, deduplicated", async () => {
    const { cookie, sessionId } = await newBrowserSession();
    const events = Array.from({ length: MAX_RECENT_ITEMS + 10 }, (_, i) =>
      event("view", [`item-${i}`], `cat-${i % (MAX_RECENT_CATEGORIES + 5)}`),
    );
    await post(events, cookie);
    await post([event("view", ["item-20"])], cookie); // seen before: moves to the front
    const snapshot = await readSession(bindings, sessionId);
    expect(snapshot.version).toBe(2);
    expect(snapshot.recentItems).toHaveLength(MAX_RECENT_ITEMS);
    expect(snapshot.recentItems.slice(0, 3)).toEqual(["item-20", "item-59", "item-58"]);
    expect(new Set(snapshot.recentItems).size).toBe(MAX_RECENT_ITEMS);
    expect(snapshot.recentItems).not.toContain("item-9"); // the oldest fell off
    expect(snapshot.recentCategories).toHaveLength(MAX_RECENT_CATEGORIES);
    expect(snapshot.recentCategories[0]).toBe(`cat-${59 % (MAX_RECENT_CATEGORIES + 5)}`);
  });
});

describe("session recording failures", () => {
  it("still answers 202 with every event queued when the session object fails", async () => {
    const sends: unknown[] = [];
    const queue = {
      sendBatch: async (messages: Iterable<unknown>) => {
        sends.push(...messages);
      },
    } as unknown as Queue;
    const failing = {
      idFromName: (name: string) => bindings.SESSIONS.idFromName(name),
      get: () => ({
        record: () => Promise.reject(new Error("session object unavailable (test)")),
      }),
    } as unknown as EdgeBindings["SESSIONS"];
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(URL_EVENTS, {
        method: "POST",
        body: JSON.stringify({ events: [event("view", ["i1"]), event("click", ["i2"])] }),
        headers: { "content-type": "application/json" },
      }),
      { ...bindings, EVENTS_QUEUE: queue, SESSIONS: failing } as EdgeBindings,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(202);
    expect(sends).toHaveLength(2);
  });
});

describe("SessionState Durable Object", () => {
  it("recordSessionEvents answers the new snapshot and skips batches without intent", async () => {
    const sessionId = `direct-${crypto.randomUUID()}`;
    expect(await recordSessionEvents(bindings, sessionId, [event("impression", ["x"])])).toBe(
      undefined,
    );
    const after = await recordSessionEvents(bindings, sessionId, [event("purchase", ["p1", "p2"])]);
    expect(after).toMatchObject({ version: 1, recentItems: ["p2", "p1"] });
    expect(await readSession(bindings, sessionId)).toEqual(after);
  });

  it("schedules deletion a day after the last change and deletes an idle session", async () => {
    const sessionId = `idle-${crypto.randomUUID()}`;
    const stub = bindings.SESSIONS.get(bindings.SESSIONS.idFromName(sessionId));
    const recorded = await recordSessionEvents(bindings, sessionId, [event("view", ["i1"])]);
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).toBe((recorded?.updatedAt ?? 0) + SESSION_IDLE_TTL_MS);

    // The alarm firing early (the session was active since) keeps it and reschedules.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await readSession(bindings, sessionId)).recentItems).toEqual(["i1"]);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(alarm);
  });

  it("the alarm deletes a session idle for longer than the TTL", async () => {
    const sessionId = `stale-${crypto.randomUUID()}`;
    const stub = bindings.SESSIONS.get(bindings.SESSIONS.idFromName(sessionId));
    const stale: SessionSnapshot = {
      version: 3,
      recentItems: ["old"],
      recentCategories: [],
      updatedAt: Date.now() - SESSION_IDLE_TTL_MS - 1_000,
    };
    // Seeded as if written a day ago (the instance has not read it yet).
    await runInDurableObject(stub, async (_, state) => {
      state.storage.kv.put("snapshot", stale);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await readSession(bindings, sessionId)).toEqual(EMPTY_SESSION);
    const left = await runInDurableObject(stub, (_, state) => [...state.storage.kv.list()]);
    expect(left).toEqual([]);
  });
});

describe("applySessionEvents", () => {
  it("orders a batch by event time, not by position in the batch", () => {
    const next = applySessionEvents(
      EMPTY_SESSION,
      [
        { type: "view", itemIds: ["late"], ts: 30 },
        { type: "view", itemIds: ["early"], ts: 10 },
        { type: "click", itemIds: ["middle"], ts: 20 },
      ],
      1_000,
    );
    expect(next.recentItems).toEqual(["late", "middle", "early"]);
    expect(next).toMatchObject({ version: 1, updatedAt: 1_000 });
  });

  it("returns the same snapshot for a batch without intent", () => {
    const batch = [
      { type: "impression" as const, itemIds: ["a"], ts: 1 },
      { type: "remove_from_cart" as const, itemIds: ["b"], ts: 2 },
    ];
    expect(applySessionEvents(EMPTY_SESSION, batch, 5)).toBe(EMPTY_SESSION);
  });
});
