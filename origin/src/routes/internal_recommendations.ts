import type { Hono } from "hono";
import { OriginRecommendationRequest } from "#shared/api/recommendations";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../app.js";
import { popularItems } from "../recommend/popular.js";

/** `POST /internal/recommendations` (signed; mounted under /internal): the edge's call on a miss. */
export function registerInternalRecommendations(app: Hono, deps: OriginDeps): void {
  app.post("/recommendations", async (c) => {
    const raw = await c.req.text();
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ApiError("invalid_request", "body must be JSON");
    }
    const request = parseOrThrow(OriginRecommendationRequest, json);
    return c.json(await popularItems(deps.store, deps.keys, request.region, request.k));
  });
}
