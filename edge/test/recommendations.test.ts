import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { RecommendationResponse } from "#shared/api/recommendations";
import { expectErrorResponse as expectError } from "../../shared/test/support/expect-error-response.js";
import type { EdgeBindings } from "../src/env.js";
import worker from "../src/index.js";

const BASE = "http://edge.test";

/** Calls the worker with some bindings replaced, in the same workerd isolate. */
async function fetchWith(bindings: Partial<EdgeBindings>, path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`),
    { ...env, ...bindings } as EdgeBindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("GET /v1/recommendations (happy path through a real origin)", () => {
  it("answers with the popularity list in the shared response shape", async () => {
    const response = await exports.default.fetch(`${BASE}/v1/recommendations?surface=home&k=10`);
    expect(response.status).toBe(200);
    const body = RecommendationResponse.parse(await response.json());
    expect(body.items).toHaveLength(10);
    expect(body.items[0]?.id).toMatch(/^i\d{5}$/);
    const scores = body.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(body).toMatchObject({
      surface: "home",
      region: "edge-test",
      tier: "origin",
      lens: "business",
      stale: false,
      degraded: false,
    });
    expect(body.requestId).toBe(response.headers.get("x-request-id"));
    expect(body.ageMs).toBeGreaterThanOrEqual(0);
    expect(response.headers.get("server-timing")).toMatch(/^origin;dur=\d+(\.\d+)?$/);
  });

  it("defaults k to 10 and honours a larger k", async () => {
    const small = RecommendationResponse.parse(
      await (await exports.default.fetch(`${BASE}/v1/recommendations?surface=pdp`)).json(),
    );
    expect(small.items).toHaveLength(10);
    const large = RecommendationResponse.parse(
      await (await exports.default.fetch(`${BASE}/v1/recommendations?surface=pdp&k=100`)).json(),
    );
    expect(large.items).toHaveLength(100);
    expect(new Set(large.items.map((i) => i.id)).size).toBe(100);
  });

  it("keeps a caller's well-formed request id end to end", async () => {
    const response = await exports.default.fetch(`${BASE}/v1/recommendations?surface=home`, {
      headers: { "x-request-id": "trace-1234567890" },
    });
    const body = RecommendationResponse.parse(await response.json());
    expect(body.requestId).toBe("trace-1234567890");
  });
});

describe("GET /v1/recommendations (bad input)", () => {
  it.each([
    ["k=0&surface=home", "k"],
    ["k=101&surface=home", "k"],
    ["k=ten&surface=home", "k"],
    ["surface=nowhere", "surface"],
    ["k=5", "surface"],
  ])("refuses ?%s naming %s", async (query, field) => {
    const response = await exports.default.fetch(`${BASE}/v1/recommendations?${query}`);
    await expectError(response, 400, "invalid_parameter", `${field}:`);
  });

  it("answers unknown routes with not_found", async () => {
    await expectError(await exports.default.fetch(`${BASE}/v1/nope`), 404, "not_found");
  });
});

describe("edge configuration and origin failures", () => {
  it("names a wrong binding instead of failing obscurely", async () => {
    const response = await fetchWith(
      { ORIGIN_URL: "not a url" },
      "/v1/recommendations?surface=home",
    );
    await expectError(response, 500, "misconfigured", "ORIGIN_URL");
  });

  it("names a missing secret without echoing it", async () => {
    const response = await fetchWith({ ORIGIN_SIGNING_SECRET: "short" }, "/healthz");
    const body = await expectError(response, 500, "misconfigured", "ORIGIN_SIGNING_SECRET");
    expect(body.error.message).not.toContain("short");
  });

  it("reports origin_unavailable when the origin is down", async () => {
    const response = await fetchWith(
      { ORIGIN_URL: "http://127.0.0.1:9" },
      "/v1/recommendations?surface=home",
    );
    await expectError(response, 503, "origin_unavailable");
  });

  it("is refused by the origin when it signs with the wrong secret", async () => {
    const response = await fetchWith(
      { ORIGIN_SIGNING_SECRET: "a-different-secret-entirely" },
      "/v1/recommendations?surface=home",
    );
    await expectError(response, 503, "origin_unavailable", "401");
  });
});

describe("GET /healthz", () => {
  it("reports the edge's region", async () => {
    const response = await exports.default.fetch(`${BASE}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      service: "edge",
      region: "edge-test",
      checks: { config: "ok" },
    });
  });

  it("the origin it talks to is real and refuses unsigned internal calls", async () => {
    const origin = inject("originUrl");
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    const unsigned = await fetch(`${origin}/internal/recommendations`, {
      method: "POST",
      body: JSON.stringify({ surface: "home", k: 5, region: "edge-test" }),
    });
    await expectError(unsigned, 401, "unauthorized", "not signed");
  });
});
