import type { MiddlewareHandler } from "hono";
import { requireSignature } from "#shared/http/require-signature";
import { edgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";

/**
 * Accepts only requests signed with the origin's secret (`ORIGIN_SIGNING_SECRET`,
 * the same HMAC the origin checks on edge calls): the hot layer's internal
 * routes. Anything else is a 401.
 */
export function verifyOriginSignature(): MiddlewareHandler<{ Bindings: EdgeBindings }> {
  return requireSignature<{ Bindings: EdgeBindings }>((c) => edgeConfig(c.env).signingSecret);
}
