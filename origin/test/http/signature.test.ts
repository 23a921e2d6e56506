import { describe, expect, it } from "vitest";
import {
  SIGNATURE_HEADER,
  SIGNATURE_MAX_SKEW_MS,
  signRequest,
  TIMESTAMP_HEADER,
} from "#shared/security/request-signing";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import { useSeededOrigin } from "../support/seeded-origin.js";

/**
 * The origin refuses every internal request the edge did not sign: forged,
 * expired or missing signatures, over real HTTP against a real origin.
 */
const SECRET = "signature-test-secret-0123";

const origin = useSeededOrigin("signature", { ORIGIN_SIGNING_SECRET: SECRET, REGION: "sig-test" });

const RECS = "/internal/recommendations";
const body = JSON.stringify({ surface: "home", k: 3, region: "sig-test" });

function send(
  path: string,
  headers: Record<string, string>,
  init: { method?: string; body?: string } = {},
): Promise<Response> {
  const method = init.method ?? "POST";
  return fetch(`${origin.url}${path}`, {
    method,
    body: method === "GET" ? undefined : (init.body ?? body),
    headers: { "content-type": "application/json", ...headers },
  });
}

function sign(overrides: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({ method: "POST", pathWithQuery: RECS, body, secret: SECRET, ...overrides });
}

describe("a correctly signed request (control)", () => {
  it("is served, also near the edge of the freshness window", async () => {
    expect((await send(RECS, await sign())).status).toBe(200);
    const nearlyStale = await sign({ now: Date.now() - SIGNATURE_MAX_SKEW_MS + 5_000 });
    expect((await send(RECS, nearlyStale)).status).toBe(200);
  });
});

describe("missing signatures (.security)", () => {
  it.each([
    RECS,
    "/internal/events",
    "/internal/features/get",
    "/internal/rank",
    // A route that does not exist (yet) is still refused, never a 404 that maps the API.
    "/internal/anything-else",
  ])("refuses an unsigned POST %s", async (path) => {
    await expectError(await send(path, {}), 401, "unauthorized", "not signed");
  });

  it("refuses a signature without its timestamp, and a timestamp without a signature", async () => {
    const headers = await sign();
    const signatureOnly = { [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER] ?? "" };
    const timestampOnly = { [TIMESTAMP_HEADER]: headers[TIMESTAMP_HEADER] ?? "" };
    await expectError(await send(RECS, signatureOnly), 401, "unauthorized", "not signed");
    await expectError(await send(RECS, timestampOnly), 401, "unauthorized", "not signed");
  });
});

describe("forged signatures (.security)", () => {
  it("refuses a signature made with another secret", async () => {
    await expectError(
      await send(RECS, await sign({ secret: "not-the-shared-secret-987" })),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a valid signature replayed on another path", async () => {
    await expectError(
      await send("/internal/features/get", await sign()),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a valid signature with a query string added", async () => {
    await expectError(
      await send(`${RECS}?k=100`, await sign()),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a valid signature sent with another method", async () => {
    const signedGet = await sign({ method: "GET", body: "" });
    await expectError(
      await send(RECS, signedGet, { body: "" }),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a valid signature over a changed body", async () => {
    await expectError(
      await send(RECS, await sign(), { body: body.replace('"k":3', '"k":99') }),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a valid signature whose timestamp header was moved forward", async () => {
    const headers = await sign({ now: Date.now() - 10_000 });
    await expectError(
      await send(RECS, { ...headers, [TIMESTAMP_HEADER]: String(Date.now()) }),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("refuses a malformed signature", async () => {
    const headers = await sign();
    await expectError(
      await send(RECS, { ...headers, [SIGNATURE_HEADER]: "not-hex" }),
      401,
      "unauthorized",
      "malformed",
    );
  });
});

describe("expired signatures (.security)", () => {
  it("refuses a request replayed after the freshness window", async () => {
    const old = await sign({ now: Date.now() - SIGNATURE_MAX_SKEW_MS - 1_000 });
    await expectError(await send(RECS, old), 401, "unauthorized", "expired");
  });

  it("refuses a request dated beyond the window in the future", async () => {
    const future = await sign({ now: Date.now() + SIGNATURE_MAX_SKEW_MS + 5_000 });
    await expectError(await send(RECS, future), 401, "unauthorized", "expired");
  });
});
