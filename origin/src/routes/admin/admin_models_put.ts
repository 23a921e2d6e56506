import type { Hono } from "hono";
import { parseOrThrow } from "#shared/http/api-error";
import { ModelId } from "#shared/models/registry";
import type { OriginDeps } from "../../app.js";
import { modelsOf } from "../../models/registry/models-of.js";
import { readJson } from "../read-json.js";

/** `PUT /admin/models/:id`: uploads a new version (model file + retrieval graph); answers its number. */
export function registerAdminModelsPut(app: Hono, deps: OriginDeps): void {
  app.put("/models/:id", async (c) => {
    const models = modelsOf(deps);
    const id = parseOrThrow(ModelId, c.req.param("id"));
    const body = await readJson(c);
    const { version, active, columns } = await models.upload(id, body);
    return c.json({ id, version, active, columns });
  });
}
