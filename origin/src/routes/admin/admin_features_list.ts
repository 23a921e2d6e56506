import type { Hono } from "hono";
import type { OriginDeps } from "../../app.js";

/** `GET /admin/features`: entities, features (built-in and declared), regions, registry version. */
export function registerAdminFeaturesList(app: Hono, deps: OriginDeps): void {
  app.get("/features", (c) => c.json(deps.features.registry.snapshot().listing));
}
