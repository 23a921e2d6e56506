import type { Hono } from "hono";
import { FeatureGetRequest, type FeatureGetResponse } from "#shared/features/serving";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../app.js";
import { toWireValue } from "../features/values.js";
import { StoreError } from "../store/port.js";
import { readJson } from "./read-json.js";

/** `POST /internal/features/get` (signed; mounted under /internal): online feature serving. */
export function registerInternalFeaturesGet(app: Hono, deps: OriginDeps): void {
  app.post("/features/get", async (c) => {
    const request = parseOrThrow(FeatureGetRequest, await readJson(c));
    const groups = await deps.features.server.get(request.requests, request.log).catch((error) => {
      // The store being slow or down is ours, not the caller's: 503, and the edge falls back.
      if (error instanceof StoreError) {
        deps.logger.warn({ err: error }, "feature read failed");
        throw new ApiError("store_unavailable", "feature store is unavailable");
      }
      throw error;
    });
    const body: FeatureGetResponse = {
      results: groups.map((group) => ({
        entity: group.entity,
        features: [...group.features],
        rows: group.rows.map((row) => ({
          key: row.key,
          values: row.values.map(toWireValue),
          status: row.status,
          ageMs: row.ageMs,
        })),
      })),
      servedAt: Date.now(),
    };
    return c.json(body);
  });
}
