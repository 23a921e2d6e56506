import type { Hono } from "hono";
import { parseOrThrow } from "#shared/http/api-error";
import { ModelActivateRequest, ModelId } from "#shared/models/registry";
import type { OriginDeps } from "../../app.js";
import { modelsOf } from "../../models/registry/models-of.js";
import { readJson } from "../read-json.js";

/** `POST /admin/models/:id/activate` `{ version }`: serves that version from now on (every process within a poll). */
export function registerAdminModelsActivate(app: Hono, deps: OriginDeps): void {
  app.post("/models/:id/activate", async (c) => {
    const models = modelsOf(deps);
    const id = parseOrThrow(ModelId, c.req.param("id"));
    const { version } = parseOrThrow(ModelActivateRequest, await readJson(c));
    return c.json(await models.activate(id, version));
  });
}
