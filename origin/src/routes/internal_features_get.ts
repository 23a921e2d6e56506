import type { Hono } from "hono";
import { FeatureGetRequest, type FeatureGetResponse } from "#shared/features/serving";
import { parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../app.js";
import { toWireValue } from "../features/values.js";
import { readJson } from "./read-json.js";

/** `POST /internal/features/get` (signed; mounted under /internal): online feature serving. */
export function registerInternalFeaturesGet(app: Hono, deps: OriginDeps): void {
  app.post("/features/get", async (c) => {
    const request = parseOrThrow(FeatureGetRequest, await readJson(c));
    const groups = await deps.features.server.get(request.requests, request.log);
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
