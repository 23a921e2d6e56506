import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type AcceptedEvent,
  EventsAccepted,
  MAX_EVENTS_BODY_BYTES,
  MAX_EVENTS_PER_BATCH,
  type ShopperEvent,
} from "#shared/api/events";
import { mintShopperToken } from "#shared/security/shopper-token";
import { expectErrorResponse as expectError } from "../../shared/test/support/expect-error-response.js";
import type { EdgeBindings } from "../src/env.js";
import { USER_EVENT_NEEDS_TOKEN } from "../src/events/accept-events.js";
import worker from "../src/index.js";

const URL_EVENTS = "http://edge.test/v1/events";

function viewEvent(overrides: Partial<ShopperEvent> = {}): ShopperEvent {
  return {
    id: crypto.randomUUID(),
    type: "view",
    sessionId: "s-edge-test",
    itemIds: ["i00001"],
    ts: Date.now(),
    ...overrides,
  };
}

function post(body: BodyInit, contentType?: string): Promise<Response> {
  return exports.default.fetch(URL_EVENTS, {
    method: "POST",
    body,
    headers: contentType ? { "content-type": contentType } : {},
  });
}

/**
 * A queue binding that records each `sendBatch` (or fails, to test that
 * path). It does not forward: these batches of hundreds of events would only
 * load the shared origin that other edge tests measure against a 50 ms budget;
 * the real queue is exercised by the other tests here and end to end.
 */
function recordingQueue(options: { fail?: boolean } = {}) {
  const sends: MessageSendRequest<AcceptedEvent>[][] = [];
  const queue = {
    send: () => Promise.reject(new Error("use sendBatch")),
    sendBatch: async (messages: Iterable<MessageSendRequest<AcceptedEvent>>) => {
      const batch = [...messages];
      sends.push(batch);
      if (options.fail) throw new Error("queue is down (test)");
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    },
  } as unknown as Queue<AcceptedEvent>;
  return { queue, sends };
}

async function postWith(bindings: Partial<EdgeBindings>, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(URL_EVENTS, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    }),
    { ...env, ...bindings } as EdgeBindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("POST /v1/events (accepting)", () => {
  it("accepts a JSON batch with 202 once queued", async () => {
    const response = await post(
      JSON.stringify({ events: [viewEvent(), viewEvent()] }),
      "application/json",
    );
    expect(response.status).toBe(202);
    const body = EventsAccepted.parse(await response.json());
    expect(body).toMatchObject({ accepted: 2, rejected: [] });
    expect(body.requestId).toBe(response.headers.get("x-request-id"));
  });

  it.each(["text/plain;charset=UTF-8", "text/plain", "application/json; charset=utf-8"])(
    "accepts %s (what sendBeacon sends)",
    async (contentType) => {
      const response = await post(JSON.stringify({ events: [viewEvent()] }), contentType);
      expect(response.status).toBe(202);
    },
  );

  it("keeps the good events of a mixed batch and lists the bad ones by index", async () => {
    const response = await post(
      JSON.stringify({
        events: [
          viewEvent(),
          { ...viewEvent(), type: "teleport" },
          viewEvent(),
          { ...viewEvent(), itemIds: [] },
          { ...viewEvent(), ts: Date.now() + 3600_000 },
        ],
      }),
      "application/json",
    );
    expect(response.status).toBe(202);
    const body = EventsAccepted.parse(await response.json());
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 3, 4]);
    expect(body.rejected[0]?.reason).toContain("type:");
    expect(body.rejected[1]?.reason).toContain("itemIds:");
    expect(body.rejected[2]?.reason).toContain("future");
  });

  it("queues one message per event, fills in its region, in sends of at most 100", async () => {
    const { queue, sends } = recordingQueue();
    const events = Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) =>
      viewEvent(i === 0 ? { region: "elsewhere" } : {}),
    );
    const response = await postWith({ EVENTS_QUEUE: queue }, { events });
    expect(response.status).toBe(202);
    expect(sends.map((send) => send.length)).toEqual([100, 100, 100, 100, 100]);
    const queued = sends.flat().map((message) => message.body);
    expect(queued.map((event) => event.id)).toEqual(events.map((event) => event.id));
    expect(queued[0]?.region).toBe("elsewhere");
    expect(new Set(queued.slice(1).map((event) => event.region))).toEqual(new Set(["edge-test"]));
  });

  it("keeps each send under the queue's 256 KB limit", async () => {
    const { queue, sends } = recordingQueue();
    const bigItems = Array.from({ length: 100 }, (_, i) => `item-${i}-${"x".repeat(100)}`);
    const events = Array.from({ length: 60 }, () => viewEvent({ itemIds: bigItems }));
    expect((await postWith({ EVENTS_QUEUE: queue }, { events })).status).toBe(202);
    expect(sends.length).toBeGreaterThan(1);
    for (const send of sends) {
      expect(JSON.stringify(send.map((m) => m.body)).length).toBeLessThan(256_000);
    }
    expect(sends.flat()).toHaveLength(60);
  });
});

describe("POST /v1/events (whose events) (.security)", () => {
  const secret = (env as EdgeBindings).SHOPPER_TOKEN_SECRET;

  function postAs(events: unknown[], authorization?: string): Promise<Response> {
    return exports.default.fetch(URL_EVENTS, {
      method: "POST",
      body: JSON.stringify({ events }),
      headers: {
        "content-type": "application/json",
        ...(authorization ? { authorization } : {}),
      },
    });
  }

  it("refuses, by index, events naming a user when the request has no token for that user", async () => {
    const anonymous = await postAs([viewEvent(), viewEvent({ userId: "u00042" })]);
    expect(anonymous.status).toBe(202);
    const body = EventsAccepted.parse(await anonymous.json());
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([{ index: 1, reason: USER_EVENT_NEEDS_TOKEN }]);

    const otherUser = await mintShopperToken({ userId: "u00043", secret });
    const forged = await postAs([viewEvent({ userId: "u00042" })], `Bearer ${otherUser}`);
    await expectError(forged, 400, "invalid_request", "userId: events for a signed-in user");
  });

  it("keeps a signed-in user's own events", async () => {
    const token = await mintShopperToken({ userId: "u00042", secret });
    const response = await postAs(
      [viewEvent({ userId: "u00042" }), viewEvent({ userId: "u00042", sessionId: undefined })],
      `Bearer ${token}`,
    );
    expect(response.status).toBe(202);
    expect(EventsAccepted.parse(await response.json())).toMatchObject({
      accepted: 2,
      rejected: [],
    });
  });
});

describe("POST /v1/events (refusing)", () => {
  it("refuses other media types with 415", async () => {
    const body = JSON.stringify({ events: [viewEvent()] });
    await expectError(
      await post(body, "application/x-www-form-urlencoded"),
      415,
      "unsupported_media_type",
    );
    await expectError(await post(body, "text/html"), 415, "unsupported_media_type");
    await expectError(await post(new Blob([body])), 415, "unsupported_media_type");
  });

  it("refuses a declared body over 1 MB with 413", async () => {
    const body = JSON.stringify({ events: [viewEvent()], pad: "x".repeat(MAX_EVENTS_BODY_BYTES) });
    await expectError(await post(body, "application/json"), 413, "payload_too_large", "bytes");
  });

  it("refuses a streamed body that grows past 1 MB with 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_EVENTS_BODY_BYTES * 2) controller.close();
        else {
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await exports.default.fetch(URL_EVENTS, {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
    });
    await expectError(response, 413, "payload_too_large");
  });

  it("refuses more than 500 events with 413, saying so", async () => {
    const events = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => viewEvent());
    await expectError(
      await post(JSON.stringify({ events }), "application/json"),
      413,
      "payload_too_large",
      "at most 500 events",
    );
  });

  it.each([
    ["not JSON", "{events:"],
    ["no events array", JSON.stringify({ event: [] })],
    ["an empty batch", JSON.stringify({ events: [] })],
    ["a bare array", JSON.stringify([viewEvent()])],
  ])("refuses %s with 400", async (_, body) => {
    await expectError(await post(body, "application/json"), 400, "invalid_request");
  });

  it("refuses a batch whose events are all bad with 400, by index", async () => {
    const response = await post(
      JSON.stringify({ events: [{ type: "view" }, { ...viewEvent(), id: "short" }] }),
      "application/json",
    );
    await expectError(response, 400, "invalid_request", "[1] id:");
  });

  it("answers 503 queue_unavailable when the queue refuses, so the page resends", async () => {
    const { queue } = recordingQueue({ fail: true });
    const response = await postWith({ EVENTS_QUEUE: queue }, { events: [viewEvent()] });
    await expectError(response, 503, "queue_unavailable");
  });
});
