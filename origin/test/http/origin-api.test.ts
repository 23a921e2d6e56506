import { describe, expect, it } from "vitest";
import { OriginRecommendationResponse } from "#shared/api/recommendations";
import { SIGNATURE_MAX_SKEW_MS, signRequest } from "#shared/security/request-signing";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import { useSeededOrigin } from "../support/seeded-origin.js";

const SECRET = "origin-api-test-secret";
const PATH = "/internal/recommendations";

const origin = useSeededOrigin("origin-api", { ORIGIN_SIGNING_SECRET: SECRET, REGION: "eu-test" });

async function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${origin.url}${PATH}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function signedPost(
  body: string,
  options: { secret?: string; now?: number } = {},
): Promise<Response> {
  const headers = await signRequest({
    method: "POST",
    pathWithQuery: PATH,
    body,
    secret: options.secret ?? SECRET,
    now: options.now,
  });
  return post(body, headers);
}

describe("origin /internal/recommendations", () => {
  it("serves the seeded popularity list to a signed request", async () => {
    const response = await signedPost(JSON.stringify({ surface: "home", k: 7, region: "eu-test" }));
    expect(response.status).toBe(200);
    const body = OriginRecommendationResponse.parse(await response.json());
    expect(body.items).toHaveLength(7);
    expect(body.lens).toBe("business");
    expect(body.computedAt).toBeLessThanOrEqual(Date.now());
  });

  it("names the bad field in a signed but invalid request", async () => {
    await expectError(
      await signedPost(JSON.stringify({ surface: "home", k: 0, region: "eu-test" })),
      400,
      "invalid_parameter",
      "k:",
    );
    await expectError(await signedPost("{not json"), 400, "invalid_request", "JSON");
  });
});

describe("origin request signing (.security)", () => {
  const body = JSON.stringify({ surface: "home", k: 3, region: "eu-test" });

  it("refuses an unsigned request", async () => {
    await expectError(await post(body, {}), 401, "unauthorized", "not signed");
  });

  it("refuses a request signed with another secret", async () => {
    await expectError(
      await signedPost(body, { secret: "someone-elses-secret" }),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a signed request whose body was changed", async () => {
    const headers = await signRequest({
      method: "POST",
      pathWithQuery: PATH,
      body,
      secret: SECRET,
    });
    await expectError(
      await post(body.replace('"k":3', '"k":99'), headers),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a replay outside the freshness window", async () => {
    const old = Date.now() - SIGNATURE_MAX_SKEW_MS - 1_000;
    await expectError(await signedPost(body, { now: old }), 401, "unauthorized", "expired");
  });

  it("refuses a malformed signature", async () => {
    await expectError(
      await post(body, { "x-reco-signature": "zz", "x-reco-timestamp": String(Date.now()) }),
      401,
      "unauthorized",
      "malformed",
    );
  });
});

describe("origin /healthz and unknown routes", () => {
  it("reports the store", async () => {
    const response = await fetch(`${origin.url}/healthz`);
    expect(await response.json()).toEqual({
      status: "ok",
      service: "origin",
      region: "eu-test",
      checks: { store: "ok" },
    });
  });

  it("answers unknown routes with not_found", async () => {
    await expectError(await fetch(`${origin.url}/nope`), 404, "not_found");
  });
});
