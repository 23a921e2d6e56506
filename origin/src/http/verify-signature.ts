import type { MiddlewareHandler } from "hono";
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
 * Refuses any request to the internal API that the edge did not sign with the
 * shared secret. Reads the raw body once; Hono caches it for the handler.
 */
export function verifySignature(secret: string): MiddlewareHandler {
  return async (c, next) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const failure = await verifyRequest({
      method: c.req.method,
      pathWithQuery: url.pathname + url.search,
      body,
      secret,
      signature: c.req.header(SIGNATURE_HEADER),
      timestamp: c.req.header(TIMESTAMP_HEADER),
    });
    if (failure) throw new ApiError("unauthorized", REASONS[failure]);
    await next();
  };
}
