import type { Hono } from "hono";
import {
  OriginRecommendationResponse,
  RecommendationQuery,
  type RecommendationResponse,
} from "#shared/api/recommendations";
import { parseOrThrow } from "#shared/http/api-error";
import type { EdgeApp } from "../app.js";
import { edgeConfig } from "../config/edge-config.js";
import { callOrigin } from "../origin/origin-client.js";

/** `GET /v1/recommendations`: the browser's entry point. */
export function registerRecommendations(app: Hono<EdgeApp>): void {
  app.get("/v1/recommendations", async (c) => {
    const query = parseOrThrow(RecommendationQuery, c.req.query());
    const config = edgeConfig(c.env);
    const requestId = c.get("requestId");
    const started = performance.now();
    const origin = await callOrigin(
      config,
      "/internal/recommendations",
      {
        surface: query.surface,
        k: query.k,
        region: config.region,
        sessionId: query.sessionId,
        itemId: query.itemId,
      },
      OriginRecommendationResponse,
      { requestId, timeoutMs: config.originTimeoutMs },
    );
    const body: RecommendationResponse = {
      requestId,
      surface: query.surface,
      region: config.region,
      items: origin.items,
      lens: origin.lens,
      tier: "origin",
      stale: false,
      ageMs: Math.max(0, Date.now() - origin.computedAt),
      degraded: false,
    };
    c.header("server-timing", `origin;dur=${(performance.now() - started).toFixed(1)}`);
    c.header("cache-control", "private, no-store");
    return c.json(body);
  });
}
