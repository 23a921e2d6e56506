import type { Hono } from "hono";
import { RankRequest } from "#shared/api/rank";
import { parseOrThrow } from "#shared/http/api-error";
import { requestIdOf } from "#shared/http/request-id";
import type { OriginDeps } from "../app.js";
import { modelsOf } from "../models/registry/models-of.js";
import { rankCandidates } from "../proxy/rank-candidates.js";
import { businessRulesHook } from "../rules/rules-hook.js";
import { readJson } from "./read-json.js";

/** `POST /internal/rank` (signed; mounted under /internal): re-rank candidates with a registered model. */
export function registerInternalRank(app: Hono, deps: OriginDeps): void {
  // Built once: the hook reads the surface's compiled rules (hot-reloaded by the store) per call.
  const rules = businessRulesHook({ rules: deps.rules, features: deps.features });
  app.post("/rank", async (c) => {
    const request = parseOrThrow(RankRequest, await readJson(c));
    const body = await rankCandidates(
      {
        models: modelsOf(deps),
        features: deps.features.server,
        log: deps.features.log,
        rules,
        experiments: deps.experiments,
        onStoreError: (err) => deps.logger.warn({ err }, "rank feature read failed"),
      },
      request,
      requestIdOf(c),
    );
    return c.json(body);
  });
}
