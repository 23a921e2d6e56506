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

const HotPoolStateRequest = z
  .object({ waitMs: z.number().int().min(0).max(30_000).default(0) })
  .strict();

function jsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("invalid_request", "body must be JSON");
  }
}

/**
 * `POST /internal/hot/read` (signed with the origin's secret): what this
 * isolate's hot layer answers for `ids`, exactly as the shopper path sees it
 * (memory → region store → origin). For operators and the end-to-end
 * freshness test; never shopper-facing.
 */
export function registerInternalHotRead(app: Hono<EdgeApp>): void {
  app.post("/internal/hot/read", verifyOriginSignature(), async (c) => {
    const request = parseOrThrow(HotReadRequest, jsonBody(await c.req.text()));
    const entries = await hotLayer(c.env).getMany(request.kind, request.ids);
    return c.json({ entries: Object.fromEntries(entries) });
  });

  // Which retrieval pool this isolate holds (and the hot layer's counters), waiting at most `waitMs` for a load it starts.
  // The load is deliberately not kept alive past the answer: operators (and the shared-load
  // test) see exactly what a request that ends early leaves behind for the next one.
  app.post("/internal/hot/pool-state", verifyOriginSignature(), async (c) => {
    const request = parseOrThrow(HotPoolStateRequest, jsonBody(await c.req.text()));
    const layer = hotLayer(c.env);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), request.waitMs ?? 0);
    });
    const pool = await Promise.race([layer.pool(), late]).finally(() => {
      if (timer !== undefined) clearTimeout(timer);
    });
    return c.json({
      pool: pool ? { version: layer.poolVersion, count: pool.count, dim: pool.dim } : null,
      // This isolate's counters since it started: which tier answered, joined and given-up loads.
      stats: layer.stats,
    });
  });
}
