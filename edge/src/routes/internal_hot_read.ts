import type { Hono } from "hono";
import { z } from "zod";
import { HotId, HotKind, MAX_HOT_IDS_PER_PULL } from "#shared/hot/hot-contract";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { EdgeApp } from "../app.js";
import { hotLayer } from "../hot/hot-layer.js";
import { verifyOriginSignature } from "../hot/verify-origin-signature.js";

const HotReadRequest = z
  .object({ kind: HotKind, ids: z.array(HotId).min(1).max(MAX_HOT_IDS_PER_PULL) })
  .strict();

/**
 * `POST /internal/hot/read` (signed with the origin's secret): what this
 * isolate's hot layer answers for `ids`, exactly as the shopper path sees it
 * (memory → region store → origin). For operators and the end-to-end
 * freshness test; never shopper-facing.
 */
export function registerInternalHotRead(app: Hono<EdgeApp>): void {
  app.post("/internal/hot/read", verifyOriginSignature(), async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(await c.req.text());
    } catch {
      throw new ApiError("invalid_request", "body must be JSON");
    }
    const request = parseOrThrow(HotReadRequest, json);
    const entries = await hotLayer(c.env).getMany(request.kind, request.ids);
    return c.json({ entries: Object.fromEntries(entries) });
  });
}
