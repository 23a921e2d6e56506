import { env, exports } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { RecommendationResponse } from "#shared/api/recommendations";
import { mintShopperToken } from "#shared/security/shopper-token";
import { expectErrorResponse as expectError } from "../../shared/test/support/expect-error-response.js";
import type { EdgeBindings } from "../src/env.js";
import { sessionCookieName } from "../src/security/shopper-identity.js";
import { verifyShopperToken } from "../src/security/verify-shopper-token.js";

const BASE = "http://edge.test";
const LOOPBACK = "http://127.0.0.1:8787";
/** `__Host-reco_sid` for any host but plain-http loopback. */
const COOKIE = sessionCookieName(BASE);
const LIST = "/v1/recommendations?surface=home&k=3";
const secret = (env as EdgeBindings).SHOPPER_TOKEN_SECRET;

function get(path: string, headers: Record<string, string> = {}, base = BASE): Promise<Response> {
  return exports.default.fetch(`${base}${path}`, { headers });
}

/** The `name=value` pair and attributes of the session cookie the edge set, if any. */
function sessionCookie(
  response: Response,
  name = COOKIE,
): { pair: string; attributes: string } | undefined {
  // The edge sets at most this one cookie, so the combined header is that cookie.
  const header = response.headers.get("set-cookie");
  if (!header?.startsWith(`${name}=`)) return undefined;
  const [pair = "", ...attributes] = header.split(";");
  return { pair, attributes: attributes.join(";") };
}

/** The session id inside a signed cookie value (`<id>.<signature>`, URL-encoded). */
function sessionIdOf(pair: string): string {
  return decodeURIComponent(pair.slice(pair.indexOf("=") + 1)).split(".")[0] ?? "";
}

describe("anonymous shoppers get an edge-issued session (.security)", () => {
  it("issues a signed, __Host-, HttpOnly, Secure, SameSite=Lax session cookie on the first request", async () => {
    const response = await get(LIST);
    expect(response.status).toBe(200);
    expect(COOKIE).toBe("__Host-reco_sid");
    const cookie = sessionCookie(response);
    expect(cookie).toBeDefined();
    expect(sessionIdOf(cookie?.pair ?? "")).toMatch(/^[0-9a-f-]{36}$/);
    expect(cookie?.attributes).toMatch(/HttpOnly/);
    expect(cookie?.attributes).toMatch(/Secure/);
    expect(cookie?.attributes).toMatch(/SameSite=Lax/);
    expect(cookie?.attributes).toMatch(/Max-Age=\d{7,}/);
    expect(cookie?.attributes).toMatch(/Path=\//);
  });

  it("leaves out Secure (and so __Host-) on plain-http loopback, where browsers would drop it", async () => {
    const name = sessionCookieName(LOOPBACK);
    expect(name).toBe("reco_sid");
    const cookie = sessionCookie(await get(LIST, {}, LOOPBACK), name);
    expect(cookie?.attributes).toMatch(/HttpOnly/);
    expect(cookie?.attributes).not.toMatch(/Secure/);
    const again = await get(LIST, { cookie: cookie?.pair ?? "" }, LOOPBACK);
    expect(sessionCookie(again, name)).toBeUndefined();
  });

  it("ignores a validly signed cookie without the __Host- prefix (one a sibling subdomain could plant)", async () => {
    const loopback = sessionCookie(await get(LIST, {}, LOOPBACK), sessionCookieName(LOOPBACK));
    const response = await get(LIST, { cookie: loopback?.pair ?? "" });
    const issued = sessionCookie(response);
    expect(issued).toBeDefined();
    expect(sessionIdOf(issued?.pair ?? "")).not.toBe(sessionIdOf(loopback?.pair ?? ""));
  });

  it("keeps the session a valid cookie names, and issues none again", async () => {
    const first = sessionCookie(await get(LIST));
    const again = await get(LIST, { cookie: first?.pair ?? "" });
    expect(again.status).toBe(200);
    expect(sessionCookie(again)).toBeUndefined();
  });

  it("ignores a tampered cookie and issues a new session, also after the genuine one was seen", async () => {
    const first = sessionCookie(await get(LIST));
    const id = sessionIdOf(first?.pair ?? "");
    // The genuine cookie is verified once and remembered; the forgery must not ride on that.
    expect(sessionCookie(await get(LIST, { cookie: first?.pair ?? "" }))).toBeUndefined();
    const forged = (first?.pair ?? "").replace(id, crypto.randomUUID());
    const response = await get(LIST, { cookie: forged });
    expect(response.status).toBe(200);
    const reissued = sessionCookie(response);
    expect(reissued).toBeDefined();
    expect(sessionIdOf(reissued?.pair ?? "")).not.toBe(id);
  });

  it("ignores an unsigned cookie naming someone else's session", async () => {
    const response = await get(LIST, { cookie: `${COOKIE}=${crypto.randomUUID()}` });
    expect(response.status).toBe(200);
    expect(sessionCookie(response)).toBeDefined();
  });
});

describe("signed-in shoppers and personalised lists (.security)", () => {
  it("serves user X's list to X's valid token", async () => {
    const token = await mintShopperToken({ userId: "u00042", secret });
    const response = await get(`${LIST}&userId=u00042`, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    RecommendationResponse.parse(await response.json());
  });

  it("refuses user X's list without a token", async () => {
    await expectError(await get(`${LIST}&userId=u00042`), 401, "unauthorized", "token");
  });

  it("refuses user X's list to user Y's valid token", async () => {
    const token = await mintShopperToken({ userId: "u00043", secret });
    await expectError(
      await get(`${LIST}&userId=u00042`, { authorization: `Bearer ${token}` }),
      403,
      "forbidden",
    );
  });

  it("refuses a token signed with another secret", async () => {
    const token = await mintShopperToken({ userId: "u00042", secret: "not-the-store-secret-123" });
    await expectError(
      await get(`${LIST}&userId=u00042`, { authorization: `Bearer ${token}` }),
      401,
      "invalid_token",
      "not signed",
    );
  });

  it("refuses an expired token, but tolerates a few seconds of clock skew", async () => {
    const expired = await mintShopperToken({ userId: "u00042", secret, ttlS: -120 });
    const refused = await get(LIST, { authorization: `Bearer ${expired}` });
    expect(refused.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    await expectError(refused, 401, "invalid_token", "expired");
    const skewed = await mintShopperToken({ userId: "u00042", secret, ttlS: -5 });
    expect((await get(LIST, { authorization: `Bearer ${skewed}` })).status).toBe(200);
  });

  it("refuses a token once it expires, though its signature was verified (and remembered) before", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mintShopperToken({ userId: "u00077", secret, ttlS: 60, nowS: now });
    expect(await verifyShopperToken(token, secret, now)).toBe("u00077");
    await expect(verifyShopperToken(token, secret, now + 60 + 31)).rejects.toThrow("expired");
    await expect(verifyShopperToken(token, "another-secret-0123456", now)).rejects.toThrow(
      "not signed",
    );
  });

  it("refuses a token without exp or sub, and one with alg none", async () => {
    const now = Math.floor(Date.now() / 1000);
    const noExp = await sign({ sub: "u00042", iat: now }, secret, "HS256");
    await expectError(
      await get(LIST, { authorization: `Bearer ${noExp}` }),
      401,
      "invalid_token",
      "exp",
    );
    const noSub = await sign({ exp: now + 60 }, secret, "HS256");
    await expectError(
      await get(LIST, { authorization: `Bearer ${noSub}` }),
      401,
      "invalid_token",
      "sub",
    );
    const encode = (part: object) => btoa(JSON.stringify(part)).replace(/=+$/, "");
    const none = `${encode({ alg: "none", typ: "JWT" })}.${encode({ sub: "u00042", exp: now + 60 })}.`;
    await expectError(await get(LIST, { authorization: `Bearer ${none}` }), 401, "invalid_token");
  });

  it("refuses an Authorization header that is not a bearer token", async () => {
    await expectError(
      await get(LIST, { authorization: "Basic dXNlcjpwYXNz" }),
      401,
      "invalid_token",
      "Bearer",
    );
  });
});
