import type { Hono } from "hono";
import { Surface } from "#shared/api/recommendations";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import { RulesPutRequest } from "#shared/rules/rules-config";
import type { OriginDeps } from "../../app.js";
import { checkRuleFeatures } from "../../rules/check-rule-features.js";
import { readJson } from "../read-json.js";

/** `PUT /admin/rules/:surface`: replaces the surface's business rules; answers the stored version. */
export function registerAdminRulesPut(app: Hono, deps: OriginDeps): void {
  app.put("/rules/:surface", async (c) => {
    const surface = parseOrThrow(Surface, c.req.param("surface"));
    const body = parseOrThrow(RulesPutRequest, await readJson(c));
    const problem = checkRuleFeatures(body.rules, deps.features.registry.snapshot());
    if (problem) throw new ApiError("invalid_parameter", problem);
    const result = await deps.rules.put(surface, body.rules, body.expectVersion);
    if (!result.ok) throw new ApiError(result.code, result.message);
    return c.json(result.doc);
  });
}
