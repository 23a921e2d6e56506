import type { Hono } from "hono";
import { Surface } from "#shared/api/recommendations";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../../app.js";

/** `GET /admin/experiments/:surface`: the surface's experiment; 404 if it has none. */
export function registerAdminExperimentsGet(app: Hono, deps: OriginDeps): void {
  app.get("/experiments/:surface", (c) => {
    const surface = parseOrThrow(Surface, c.req.param("surface"));
    const doc = deps.experiments.document(surface);
    if (!doc) throw new ApiError("not_found", `surface ${surface} has no experiment`);
    return c.json(doc);
  });
}
