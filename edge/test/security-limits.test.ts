import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mintShopperToken } from "#shared/security/shopper-token";
import { expectErrorResponse as expectError } from "../../shared/test/support/expect-error-response.js";
import type { EdgeBindings } from "../src/env.js";
import worker from "../src/index.js";
import { RATE_LIMIT_LOCATION_PERIOD_S } from "../src/security/location-rate-limit.js";
import { sessionCookieName } from "../src/security/shopper-identity.js";

const BASE = "http://edge.test";
const LIST = "/v1/recommendations?surface=home&k=1";
const bindings = env as EdgeBindings;

/** Calls the worker in this workerd isolate with some vars replaced (as a deployment would set them). */
async function fetchWith(
  vars: Partial<EdgeBindings>,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, init),
    { ...bindings, ...vars } as EdgeBindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("request size limits (.security)", () => {
  it("refuses a query string over MAX_QUERY_BYTES with 413", async () => {
    const response = await fetchWith({}, `${LIST}&itemId=${"x".repeat(3_000)}`);
    await expectError(response, 413, "payload_too_large", "query string is longer than 2048");
  });

  it("honours a smaller MAX_QUERY_BYTES from the vars", async () => {
    await expectError(
      await fetchWith({ MAX_QUERY_BYTES: "64" }, `${LIST}&itemId=${"x".repeat(80)}`),
      413,
      "payload_too_large",
      "64 bytes",
    );
    expect((await fetchWith({ MAX_QUERY_BYTES: "64" }, LIST)).status).toBe(200);
  });

  it("refuses a declared body over MAX_BODY_BYTES before reading it", async () => {
    const body = JSON.stringify({ events: [{ pad: "x".repeat(4_000) }] });
    const response = await fetchWith({ MAX_BODY_BYTES: "2048" }, "/v1/events", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "content-length": String(body.length) },
    });
    await expectError(response, 413, "payload_too_large", "2048 bytes");
  });

  it("counts a streamed body with no Content-Length and refuses it past the limit", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1_024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetchWith({ MAX_BODY_BYTES: "2048" }, "/v1/events", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
    });
    await expectError(response, 413, "payload_too_large", "2048 bytes");
  });
});

describe("per-client rate limits (.security)", () => {
  // Three requests at once, then (at 0.01/s) one more only after 100 s: nothing refills mid-test.
  const tight = { RATE_LIMIT_PER_SECOND: "0.01", RATE_LIMIT_BURST: "3" };

  /** A fresh signed session cookie, as a browser would hold it after its first request. */
  async function newSession(): Promise<string> {
    const response = await fetchWith({}, LIST);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie.startsWith(`${sessionCookieName(BASE)}=`)).toBe(true);
    return cookie.split(";")[0] ?? "";
  }

  async function statuses(count: number, headers: Record<string, string>): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((await fetchWith(tight, LIST, { headers })).status);
    return out;
  }

  it("answers 429 rate_limited with Retry-After once a session spends its burst; other sessions are unaffected", async () => {
    const a = await newSession();
    const b = await newSession();
    expect(await statuses(3, { cookie: a })).toEqual([200, 200, 200]);
    const limited = await fetchWith(tight, LIST, { headers: { cookie: a } });
    await expectError(limited, 429, "rate_limited", "retry after");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await statuses(3, { cookie: b })).toEqual([200, 200, 200]);
  });

  it("counts a signed-in shopper across sessions by user id", async () => {
    const token = await mintShopperToken({
      userId: `u-${crypto.randomUUID()}`,
      secret: bindings.SHOPPER_TOKEN_SECRET,
    });
    const sessions = [
      await newSession(),
      await newSession(),
      await newSession(),
      await newSession(),
    ];
    const seen = [];
    for (const cookie of sessions) {
      seen.push(
        (await fetchWith(tight, LIST, { headers: { cookie, authorization: `Bearer ${token}` } }))
          .status,
      );
    }
    expect(seen).toEqual([200, 200, 200, 429]);
  });

  it("counts cookie-less requests by client address, so dropping the cookie does not reset the limit", async () => {
    expect(await statuses(4, { "cf-connecting-ip": "203.0.113.7" })).toEqual([200, 200, 200, 429]);
    expect(await statuses(1, { "cf-connecting-ip": "203.0.113.8" })).toEqual([200]);
  });

  it("is off when RATE_LIMIT_PER_SECOND is 0", async () => {
    const off = { RATE_LIMIT_PER_SECOND: "0", RATE_LIMIT_BURST: "1" };
    const cookie = await newSession();
    const seen = [];
    for (let i = 0; i < 3; i++)
      seen.push((await fetchWith(off, LIST, { headers: { cookie } })).status);
    expect(seen).toEqual([200, 200, 200]);
  });
});

describe("per-location rate limit: the Workers Rate Limiting binding behind the bucket (.security)", () => {
  // The isolate bucket lets everything through here, so only the location's counter can refuse.
  const bucketOpen = { RATE_LIMIT_PER_SECOND: "1000", RATE_LIMIT_BURST: "1000000" };
  /** wrangler.toml's `[[ratelimits]] LOCATION_RATE_LIMIT`: 600 a minute per client. */
  const LOCATION_LIMIT = 600;
  /** The binding's windows are fixed minutes: one may roll over mid-test, so allow two windows' worth. */
  const MAX_TRIES = 2 * LOCATION_LIMIT + 10;
  /** Cheap requests: refused as bad input after the limiter has counted them. */
  const COUNTED = "/v1/recommendations?surface=nowhere";

  it("answers 429 with Retry-After once a client spends the location's limit; other clients go on", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    let allowed = 0;
    let refused: Response | undefined;
    for (let i = 0; i < MAX_TRIES && !refused; i++) {
      const response = await fetchWith(bucketOpen, COUNTED, {
        headers: { "cf-connecting-ip": ip },
      });
      if (response.status === 429) refused = response;
      else {
        expect(response.status).toBe(400);
        allowed++;
      }
    }
    expect(refused).toBeDefined();
    await expectError(refused as Response, 429, "rate_limited", "retry after");
    expect(refused?.headers.get("retry-after")).toBe(String(RATE_LIMIT_LOCATION_PERIOD_S));
    // At least one whole window's worth got through before the refusal.
    expect(allowed).toBeGreaterThanOrEqual(LOCATION_LIMIT);
    const other = await fetchWith(bucketOpen, LIST, {
      headers: { "cf-connecting-ip": "198.51.100.251" },
    });
    expect(other.status).toBe(200);
  });

  it("falls back to the isolate bucket when the binding fails", async () => {
    const failing = {
      RATE_LIMIT_PER_SECOND: "0.01",
      RATE_LIMIT_BURST: "3",
      LOCATION_RATE_LIMIT: {
        limit: () => Promise.reject(new Error("rate limiter unavailable")),
      } as RateLimit,
    };
    const seen = [];
    for (let i = 0; i < 4; i++) {
      seen.push(
        (await fetchWith(failing, LIST, { headers: { "cf-connecting-ip": "203.0.113.99" } }))
          .status,
      );
    }
    expect(seen).toEqual([200, 200, 200, 429]);
  });
});
