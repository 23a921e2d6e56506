import type { Hono } from "hono";
import { OriginRecommendationRequest } from "#shared/api/recommendations";
import { parseOrThrow } from "#shared/http/api-error";
import { requestIdOf } from "#shared/http/request-id";
import type { OriginDeps } from "../app.js";
import { type RecommendDeps, recommend } from "../recommend/recommend.js";
import { businessRulesHook } from "../rules/rules-hook.js";
import { readJson } from "./read-json.js";

/** `POST /internal/recommendations` (signed; mounted under /internal): the edge's call on a miss. */
export function registerInternalRecommendations(app: Hono, deps: OriginDeps): void {
  // Built once per process; the stores behind them hot-reload rules, experiments and models.
  const recommendDeps: RecommendDeps = {
    store: deps.store,
    keys: deps.keys,
    features: deps.features,
    rules: businessRulesHook({ rules: deps.rules, features: deps.features }),
    experiments: deps.experiments,
    logger: deps.logger,
    rank: deps.models && {
      models: deps.models,
      features: deps.features.server,
      log: deps.features.log,
      onStoreError: (err) => deps.logger.warn({ err }, "recommendations store read failed"),
    },
  };
  app.post("/recommendations", async (c) => {
    const request = parseOrThrow(OriginRecommendationRequest, await readJson(c));
    return c.json(await recommend(recommendDeps, request, requestIdOf(c)));
  });
}
