import type { Context, MiddlewareHandler } from "hono";
import { getCookie, getSignedCookie } from "hono/cookie";
import { ApiError } from "#shared/http/api-error";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";
import { setSignedCookieCachedKey } from "./cookie-signer.js";
import { VerifiedMemo } from "./verified-memo.js";
import { verifyShopperToken } from "./verify-shopper-token.js";

/**
 * Who is asking. `sessionId` always comes from the edge's own signed cookie
 * (issued on the first request); `userId` only from a verified shopper token.
 */
export type Shopper = { sessionId: string; userId?: string; newSession: boolean };
export type ShopperVariables = { shopper: Shopper };

/**
 * Cookie holding the edge-issued session id (HMAC-signed, HttpOnly). Sent as
 * `__Host-reco_sid` over https: the prefix makes browsers refuse one set by a
 * sibling subdomain (session fixation); plain `reco_sid` on loopback http only.
 */
export const SESSION_COOKIE = "reco_sid";
// 400 days is the longest Max-Age browsers keep (RFC 6265bis); a session id is not a secret credential.
const SESSION_MAX_AGE_S = 400 * 24 * 3600;
/** What the edge itself issues: a UUID. Anything else in a validly signed cookie is refused too. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
// Per isolate: signed cookie value -> session id; ~150 bytes each, so ~3 MB at most.
const verifiedCookies = new VerifiedMemo<string>(20_000);

/** `http://` + host up to the port or path, without parsing the whole URL (this runs on every request). */
const PLAIN_HTTP_HOST = /^http:\/\/([^/?#:[\]]+|\[[^\]]*\])/i;

/** Browsers drop Secure (and so `__Host-`) cookies over plain http, which is how `npm run dev` serves loopback. */
function isPlainLoopback(requestUrl: string): boolean {
  const host = PLAIN_HTTP_HOST.exec(requestUrl)?.[1];
  return host !== undefined && LOOPBACK_HOSTS.has(host.toLowerCase());
}

/** The session cookie's full name for a request to `requestUrl` (tests and docs). */
export function sessionCookieName(requestUrl: string): string {
  return isPlainLoopback(requestUrl) ? SESSION_COOKIE : `__Host-${SESSION_COOKIE}`;
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header.trim());
  if (!match?.[1]) throw new ApiError("invalid_token", "Authorization must be 'Bearer <jwt>'");
  return match[1];
}

/** The session id a validly signed cookie holds (memoised per signed value), else `undefined`. */
async function sessionFromCookie(
  c: Context,
  secret: string,
  secure: boolean,
): Promise<string | undefined> {
  const prefix = secure ? "host" : undefined;
  const raw = getCookie(c, SESSION_COOKIE, prefix);
  if (raw === undefined) return undefined;
  const known = verifiedCookies.get(secret, raw);
  if (known !== undefined) return known;
  const value = await getSignedCookie(c, secret, SESSION_COOKIE, prefix);
  if (typeof value !== "string" || !SESSION_ID.test(value)) return undefined;
  verifiedCookies.set(secret, raw, value);
  return value;
}

/**
 * Identifies the shopper of every `/v1/*` request and sets `c.get("shopper")`.
 *
 * - Anonymous by default: the session id comes from the signed `reco_sid`
 *   cookie; a missing or tampered cookie gets a fresh id and a new cookie.
 * - Signed in: `Authorization: Bearer <jwt>` minted by the store's backend
 *   (HS256, `sub` + `exp` required); a bad or expired token is 401 `invalid_token`.
 * - A `userId` query parameter asks for that user's personalised list: it needs
 *   that user's token (401 `unauthorized` without one, 403 `forbidden` for another user's).
 * - The `sessionId` query parameter never chooses the session: the cookie wins,
 *   so nobody reads another session's list by guessing or copying its id.
 */
export function shopperIdentity(): MiddlewareHandler<{
  Bindings: EdgeBindings;
  Variables: ShopperVariables;
}> {
  return async (c, next) => {
    const config = edgeConfig(c.env);
    let userId: string | undefined;
    try {
      const token = bearerToken(c.req.header("authorization"));
      if (token) userId = await verifyShopperToken(token, config.shopperTokenSecret);
    } catch (error) {
      // RFC 6750: name the scheme and the failure, so the client fetches a fresh token.
      c.header("www-authenticate", 'Bearer error="invalid_token"');
      throw error;
    }
    const asked = c.req.query("userId");
    if (asked !== undefined && asked !== userId) {
      if (userId === undefined) {
        throw new ApiError(
          "unauthorized",
          "userId needs that shopper's token (Authorization: Bearer)",
        );
      }
      throw new ApiError("forbidden", "the token belongs to another user than userId");
    }

    const secure = !isPlainLoopback(c.req.url);
    const cookie = await sessionFromCookie(c, config.sessionCookieSecret, secure);
    let shopper: Shopper;
    if (cookie !== undefined) {
      shopper = { sessionId: cookie, userId, newSession: false };
    } else {
      shopper = { sessionId: crypto.randomUUID(), userId, newSession: true };
      await setSignedCookieCachedKey(
        c,
        SESSION_COOKIE,
        shopper.sessionId,
        config.sessionCookieSecret,
        {
          path: "/",
          httpOnly: true,
          secure,
          sameSite: "Lax",
          maxAge: SESSION_MAX_AGE_S,
          ...(secure ? { prefix: "host" as const } : {}),
        },
      );
    }
    c.set("shopper", shopper);
    await next();
  };
}
