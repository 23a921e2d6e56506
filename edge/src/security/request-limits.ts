import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, errorResponseBody } from "#shared/http/api-error";
import type { RequestIdVariables } from "#shared/http/request-id";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";
import { takeLocationLimit } from "./location-rate-limit.js";
import type { ShopperVariables } from "./shopper-identity.js";
import { TokenBucketLimiter } from "./token-bucket.js";

type LimitsEnv = { Bindings: EdgeBindings; Variables: RequestIdVariables & ShopperVariables };

/**
 * 413 `payload_too_large` for a query string over `MAX_QUERY_BYTES` or a body
 * over `MAX_BODY_BYTES` (declared, or counted while streaming when no
 * Content-Length is sent). Runs before anything parses or verifies, so an
 * oversized request costs the edge almost nothing.
 */
export function requestSizeLimits(): MiddlewareHandler<LimitsEnv> {
  // One body-limit middleware per size (per isolate), not one built for every request.
  const bodyLimits = new Map<number, MiddlewareHandler>();
  const bodyLimitFor = (maxBodyBytes: number): MiddlewareHandler => {
    let limit = bodyLimits.get(maxBodyBytes);
    if (!limit) {
      limit = bodyLimit({
        maxSize: maxBodyBytes,
        onError: () => {
          throw new ApiError("payload_too_large", `body is larger than ${maxBodyBytes} bytes`);
        },
      });
      bodyLimits.set(maxBodyBytes, limit);
    }
    return limit;
  };
  return async (c, next) => {
    const config = edgeConfig(c.env);
    const url = c.req.url;
    const queryAt = url.indexOf("?");
    // URL text is ASCII after percent-encoding, so its length is its byte size.
    if (queryAt >= 0 && url.length - queryAt - 1 > config.maxQueryBytes) {
      throw new ApiError(
        "payload_too_large",
        `query string is longer than ${config.maxQueryBytes} bytes`,
      );
    }
    // A GET or HEAD carries no body the edge reads: nothing to count.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return bodyLimitFor(config.maxBodyBytes)(c, next);
  };
}

// One limiter per (rate, burst) per isolate, so buckets outlive requests; keyed so a
// changed configuration (or a test's override) gets its own buckets.
const limiters = new Map<string, TokenBucketLimiter>();

function limiterFor(perSecond: number, burst: number): TokenBucketLimiter {
  const id = `${perSecond}/${burst}`;
  let limiter = limiters.get(id);
  if (!limiter) {
    limiter = new TokenBucketLimiter(perSecond, burst);
    limiters.set(id, limiter);
  }
  return limiter;
}

/**
 * Who a request is counted against: the signed-in user, else the session its
 * cookie names, else (a first visit, or a client that drops cookies and would
 * otherwise get a fresh bucket each time) the address Cloudflare saw.
 * `undefined` only off Cloudflare's network with no cookie (tests, scripts).
 */
export function rateLimitKey(
  shopper: ShopperVariables["shopper"],
  clientIp: string | undefined,
): string | undefined {
  if (shopper.userId !== undefined) return `u:${shopper.userId}`;
  if (!shopper.newSession) return `s:${shopper.sessionId}`;
  return clientIp ? `ip:${clientIp}` : undefined;
}

/**
 * 429 `rate_limited` with `Retry-After` once a client spends its burst faster
 * than `RATE_LIMIT_PER_SECOND` refills it (this isolate's bucket), or spends
 * the location's limit across isolates (the `LOCATION_RATE_LIMIT` binding,
 * asked only for what the bucket let through). Runs after shopper identity;
 * `RATE_LIMIT_PER_SECOND` 0 turns both off.
 */
export function rateLimit(): MiddlewareHandler<LimitsEnv> {
  return async (c, next) => {
    const { perSecond, burst } = edgeConfig(c.env).rateLimit;
    const key =
      perSecond > 0 ? rateLimitKey(c.get("shopper"), c.req.header("cf-connecting-ip")) : undefined;
    let retryAfterS = key === undefined ? 0 : limiterFor(perSecond, burst).take(key);
    if (retryAfterS === 0 && key !== undefined) {
      retryAfterS = await takeLocationLimit(c.env.LOCATION_RATE_LIMIT, key);
    }
    if (retryAfterS === 0) return next();
    c.header("retry-after", String(retryAfterS));
    c.header("cache-control", "no-store");
    return c.json(
      errorResponseBody(
        "rate_limited",
        `too many requests from this client; retry after ${retryAfterS} s`,
        c.get("requestId"),
      ),
      429,
    );
  };
}
