import type { Hono } from "hono";
import { RecommendationQuery, type RecommendationResponse } from "#shared/api/recommendations";
import { parseOrThrow } from "#shared/http/api-error";
import type { EdgeApp } from "../app.js";
import { CACHE_WINDOWS } from "../cache/cache-windows.js";
import { edgeConfig } from "../config/edge-config.js";
import { edgePorts } from "../pipeline/edge-ports.js";
import { pipelineCache } from "../pipeline/pipeline-cache.js";
import { recommend } from "../pipeline/recommend.js";

/**
 * `GET /v1/recommendations`: the browser's entry point. Always answers 200
 * with a list for valid input (degraded when the origin failed or was late).
 */
export function registerRecommendations(app: Hono<EdgeApp>): void {
  app.get("/v1/recommendations", async (c) => {
    const query = parseOrThrow(RecommendationQuery, c.req.query());
    const config = edgeConfig(c.env);
    const requestId = c.get("requestId");
    // Session from the edge's signed cookie, user only from a verified token (identity middleware).
    const shopper = c.get("shopper");
    const result = await recommend(
      {
        requestId,
        surface: query.surface,
        k: query.k,
        region: config.region,
        sessionId: shopper.sessionId,
        newSession: shopper.newSession,
        userId: shopper.userId,
        itemId: query.itemId,
        budgetMs: query.budgetMs,
      },
      {
        ports: edgePorts(c.env, config),
        cache: pipelineCache(config.region),
        windows: CACHE_WINDOWS[query.surface],
        waitUntil: (promise) => c.executionCtx.waitUntil(promise),
      },
    );
    const body: RecommendationResponse = {
      requestId,
      surface: query.surface,
      region: config.region,
      items: result.items.map(({ id, score }) => ({ id, score })),
      lens: result.lens,
      tier: result.tier,
      stale: result.stale,
      ageMs: result.ageMs,
      degraded: result.degraded,
    };
    c.header("server-timing", result.serverTiming);
    c.header("cache-control", "private, no-store");
    return c.json(body);
  });
}
