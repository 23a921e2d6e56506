import type { Hono } from "hono";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import { type ModelGetResponse, ModelId } from "#shared/models/registry";
import type { OriginDeps } from "../../app.js";
import { modelsOf } from "../../models/registry/models-of.js";
import { compileGraph } from "../../proxy/compile-graph.js";

/** `GET /admin/models/:id`: versions, the active one, history and the active graph's compiled plan. */
export function registerAdminModelsGet(app: Hono, deps: OriginDeps): void {
  app.get("/models/:id", async (c) => {
    const models = modelsOf(deps);
    const id = parseOrThrow(ModelId, c.req.param("id"));
    const head = await models.head(id);
    if (!head) throw new ApiError("not_found", `no model ${id}`);
    const stored = await models.records.readVersion(id, head.active);
    const body: ModelGetResponse = { ...head, plan: null };
    if (stored) {
      try {
        body.plan = compileGraph(stored.graph, deps.features.registry.snapshot()).view;
      } catch (error) {
        // A feature the graph needs was removed since upload: show why instead of failing the read.
        if (!(error instanceof ApiError)) throw error;
        body.planError = error.message;
      }
    }
    return c.json(body);
  });
}
