import type { MiddlewareHandler } from "hono";
import { ApiError } from "#shared/http/api-error";
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyRequest,
} from "#shared/security/request-signing";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";

const REASONS = {
  missing: "request is not signed",
  malformed: "request signature is malformed",
  expired: "request signature has expired or is from the future",
  mismatch: "request signature does not match",
} as const;

/**
 * Accepts only requests signed with the origin's secret (`ORIGIN_SIGNING_SECRET`,
 * the same HMAC the origin checks on edge calls): the hot layer's internal
 * routes. Anything else is a 401. Reads the raw body once; Hono caches it.
 */
export function verifyOriginSignature(): MiddlewareHandler<{ Bindings: EdgeBindings }> {
  return async (c, next) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const failure = await verifyRequest({
      method: c.req.method,
      pathWithQuery: url.pathname + url.search,
      body,
      secret: edgeConfig(c.env).signingSecret,
      signature: c.req.header(SIGNATURE_HEADER),
      timestamp: c.req.header(TIMESTAMP_HEADER),
    });
    if (failure) throw new ApiError("unauthorized", REASONS[failure]);
    await next();
  };
}
