import type { Hono } from "hono";
import { RecommendationQuery } from "#shared/api/recommendations";
import type { EdgeApp } from "../app.js";
import { CACHE_WINDOWS } from "../cache/cache-windows.js";
import { edgeConfig } from "../config/edge-config.js";
import { queryMemo } from "../http/query-memo.js";
import { recommendationJson } from "../http/recommendation-json.js";
import { edgePorts } from "../pipeline/edge-ports.js";
import { pipelineCache } from "../pipeline/pipeline-cache.js";
import { recommend } from "../pipeline/recommend.js";

/** Distinct query strings remembered per isolate: a few hundred bytes each, so well under 1 MB. */
const QUERY_MEMO_ENTRIES = 2_000;
const parseQuery = queryMemo(RecommendationQuery, QUERY_MEMO_ENTRIES);

/**
 * `GET /v1/recommendations`: the browser's entry point. Always answers 200
 * with a list for valid input (degraded when the origin failed or was late).
 */
export function registerRecommendations(app: Hono<EdgeApp>): void {
  app.get("/v1/recommendations", async (c) => {
    const query = parseQuery(c.req.url, () => c.req.query());
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
    const body = recommendationJson(
      {
        requestId,
        surface: query.surface,
        region: config.region,
        lens: result.lens,
        tier: result.tier,
        stale: result.stale,
        ageMs: result.ageMs,
        degraded: result.degraded,
      },
      result.items,
    );
    c.header("server-timing", result.serverTiming);
    c.header("cache-control", "private, no-store");
    c.header("content-type", "application/json");
    return c.body(body);
  });
}
