import type { Hono } from "hono";
import { FeatureWriteRequest, type FeatureWriteResponse } from "#shared/features/admin";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../../app.js";
import { writeFeatures } from "../../features/write/write-features.js";
import { readJson } from "../read-json.js";

/**
 * `POST /admin/features/write`: a batch of partial updates of one entity's
 * value features. Bad rows come back by index and reason; good ones are
 * written (200 even when some rows were bad: the body says which).
 */
export function registerAdminFeaturesWrite(app: Hono, deps: OriginDeps): void {
  app.post("/features/write", async (c) => {
    const request = parseOrThrow(FeatureWriteRequest, await readJson(c));
    if (!deps.features.registry.snapshot().entities.has(request.entity)) {
      throw new ApiError("invalid_parameter", `entity: unknown entity "${request.entity}"`);
    }
    const result: FeatureWriteResponse = await writeFeatures(
      deps.features.writer,
      request.entity,
      request.rows,
    );
    return c.json(result);
  });
}
