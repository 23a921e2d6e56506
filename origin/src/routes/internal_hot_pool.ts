import type { Hono } from "hono";
import {
  HOT_POOL_UPDATED_AT_HEADER,
  HOT_POOL_VERSION_HEADER,
  HotPoolRequest,
} from "#shared/hot/hot-contract";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../app.js";
import { StoreError } from "../store/port.js";
import { readJson } from "./read-json.js";

/**
 * `POST /internal/hot/pool` (signed): the retrieval pool's bytes for the
 * edge's region store, or `{ unchanged: true }` when it holds `haveVersion`.
 */
export function registerInternalHotPool(app: Hono, deps: OriginDeps): void {
  app.post("/hot/pool", async (c) => {
    const hot = deps.hot;
    if (!hot) throw new ApiError("not_found", "this origin does not serve the hot layer");
    const request = parseOrThrow(HotPoolRequest, await readJson(c));
    const pool = await hot.pool.get().catch((error) => {
      if (error instanceof StoreError) {
        deps.logger.warn({ err: error }, "pool build failed");
        throw new ApiError("store_unavailable", "feature store is unavailable");
      }
      throw error;
    });
    if (request.haveVersion === pool.head.version) return c.json({ unchanged: true });
    return c.body(pool.bytes, 200, {
      "content-type": "application/octet-stream",
      [HOT_POOL_VERSION_HEADER]: String(pool.head.version),
      [HOT_POOL_UPDATED_AT_HEADER]: String(pool.head.updatedAt),
    });
  });
}
