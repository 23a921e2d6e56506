import type { Context, Env, MiddlewareHandler } from "hono";
import { ApiError } from "#shared/http/api-error";
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyRequest,
} from "#shared/security/request-signing";

const REASONS = {
  missing: "request is not signed",
  malformed: "request signature is malformed",
  expired: "request signature has expired or is from the future",
  mismatch: "request signature does not match",
} as const;

/**
 * Refuses (401) any request not signed with the shared HMAC secret: the
 * origin's internal API (signed by the edge) and the edge's hot-layer routes
 * (signed by the origin). Reads the raw body once; Hono caches it for the
 * handler. `secret` is a value, or read from the request's context (the edge's
 * bindings arrive per request).
 */
export function requireSignature<E extends Env = Env>(
  secret: string | ((c: Context<E>) => string),
): MiddlewareHandler<E> {
  return async (c, next) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const failure = await verifyRequest({
      method: c.req.method,
      pathWithQuery: url.pathname + url.search,
      body,
      secret: typeof secret === "string" ? secret : secret(c),
      signature: c.req.header(SIGNATURE_HEADER),
      timestamp: c.req.header(TIMESTAMP_HEADER),
    });
    if (failure) throw new ApiError("unauthorized", REASONS[failure]);
    await next();
  };
}
