import type { Hono } from "hono";
import { HotGetRequest, type HotGetResponse } from "#shared/hot/hot-contract";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../app.js";
import { readHotEntries } from "../publish/hot-values.js";
import { StoreError } from "../store/port.js";
import { readJson } from "./read-json.js";

/** `POST /internal/hot/get` (signed; mounted under /internal): the edge's hot-layer pull on a miss. */
export function registerInternalHotGet(app: Hono, deps: OriginDeps): void {
  app.post("/hot/get", async (c) => {
    const hot = deps.hot;
    if (!hot) throw new ApiError("not_found", "this origin does not serve the hot layer");
    const request = parseOrThrow(HotGetRequest, await readJson(c));
    const entries = await readHotEntries(
      hot.source,
      request.region,
      request.kind,
      request.ids,
    ).catch((error) => {
      // The store being down is ours: 503, and the edge keeps serving what it holds.
      if (error instanceof StoreError) {
        deps.logger.warn({ err: error }, "hot read failed");
        throw new ApiError("store_unavailable", "feature store is unavailable");
      }
      throw error;
    });
    const body: HotGetResponse = { entries };
    return c.json(body);
  });
}
