import type { Hono } from "hono";
import { Surface } from "#shared/api/recommendations";
import { ExperimentPutRequest } from "#shared/experiments/experiment-config";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../../app.js";
import { readJson } from "../read-json.js";

/** `PUT /admin/experiments/:surface`: replaces the surface's traffic split; answers the stored version. */
export function registerAdminExperimentsPut(app: Hono, deps: OriginDeps): void {
  app.put("/experiments/:surface", async (c) => {
    const surface = parseOrThrow(Surface, c.req.param("surface"));
    const body = parseOrThrow(ExperimentPutRequest, await readJson(c));
    const result = await deps.experiments.put(surface, body.experiment, body.expectVersion);
    if (!result.ok) throw new ApiError(result.code, result.message);
    return c.json(result.doc);
  });
}
