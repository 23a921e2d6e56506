import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "#shared/http/api-error";

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Guards the admin API with `Authorization: Bearer <ADMIN_TOKEN>`. Tokens are
 * compared as SHA-256 digests with `timingSafeEqual`, so neither the content
 * nor the length of the token leaks through timing. Without a configured
 * token every admin route answers 403: the admin API is disabled.
 */
export function verifyAdminToken(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? null : digest(token);
  return async (c, next) => {
    if (expected === null) {
      throw new ApiError("forbidden", "the admin API is disabled (set ADMIN_TOKEN to enable it)");
    }
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer (.+)$/.exec(header);
    if (!match)
      throw new ApiError("unauthorized", "admin requests need Authorization: Bearer <token>");
    if (!timingSafeEqual(digest(match[1] as string), expected)) {
      throw new ApiError("unauthorized", "admin token does not match");
    }
    await next();
  };
}
