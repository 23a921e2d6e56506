import type { Hono } from "hono";
import { parseOrThrow } from "#shared/http/api-error";
import { ModelId } from "#shared/models/registry";
import type { OriginDeps } from "../../app.js";
import { modelsOf } from "../../models/registry/models-of.js";

/** `POST /admin/models/:id/rollback`: back to the version active before the current one (409 if none). */
export function registerAdminModelsRollback(app: Hono, deps: OriginDeps): void {
  app.post("/models/:id/rollback", async (c) => {
    const models = modelsOf(deps);
    const id = parseOrThrow(ModelId, c.req.param("id"));
    return c.json(await models.rollback(id));
  });
}
