import type { Hono } from "hono";
import { Surface } from "#shared/api/recommendations";
import { type ExperimentArm, ExperimentPutRequest } from "#shared/experiments/experiment-config";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../../app.js";
import { readJson } from "../read-json.js";

/**
 * Refuses a split whose arms name a model or a pinned version the registry
 * does not hold: stored, it would only surface later as a 404 on every rank
 * of the surface.
 */
async function checkArmsExist(deps: OriginDeps, arms: readonly ExperimentArm[]): Promise<void> {
  if (!deps.models) return;
  for (const [index, arm] of arms.entries()) {
    const head = await deps.models.head(arm.modelId);
    if (!head) {
      throw new ApiError(
        "invalid_parameter",
        `experiment.arms.${index}.modelId: no model "${arm.modelId}" in the registry`,
      );
    }
    if (arm.version !== undefined && !head.versions.some((v) => v.version === arm.version)) {
      throw new ApiError(
        "invalid_parameter",
        `experiment.arms.${index}.version: model "${arm.modelId}" has no version ${arm.version}`,
      );
    }
  }
}

/** `PUT /admin/experiments/:surface`: replaces the surface's traffic split; answers the stored version. */
export function registerAdminExperimentsPut(app: Hono, deps: OriginDeps): void {
  app.put("/experiments/:surface", async (c) => {
    const surface = parseOrThrow(Surface, c.req.param("surface"));
    const body = parseOrThrow(ExperimentPutRequest, await readJson(c));
    await checkArmsExist(deps, body.experiment.arms);
    const result = await deps.experiments.put(surface, body.experiment, body.expectVersion);
    if (!result.ok) throw new ApiError(result.code, result.message);
    return c.json(result.doc);
  });
}
