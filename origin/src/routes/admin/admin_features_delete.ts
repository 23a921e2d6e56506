import type { Hono } from "hono";
import type { OriginDeps } from "../../app.js";
import { unwrap } from "./change-result.js";

/** `DELETE /admin/features/:entity/:name`: removes a user feature; its bin is retired, never reused. */
export function registerAdminFeaturesDelete(app: Hono, deps: OriginDeps): void {
  app.delete("/features/:entity/:name", async (c) => {
    const result = await deps.features.registry.deleteFeature(
      c.req.param("entity"),
      c.req.param("name"),
    );
    const { value, registryVersion } = unwrap(result);
    return c.json({ feature: value, registryVersion });
  });
}
