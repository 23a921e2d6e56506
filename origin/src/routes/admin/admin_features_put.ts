import type { Hono } from "hono";
import { ApiError } from "#shared/http/api-error";
import type { OriginDeps } from "../../app.js";
import { readJson } from "../read-json.js";
import { unwrap } from "./change-result.js";

/** `PUT /admin/features/:entity/:name`: creates or changes a user feature; answers the stored definition. */
export function registerAdminFeaturesPut(app: Hono, deps: OriginDeps): void {
  app.put("/features/:entity/:name", async (c) => {
    const body = await readJson(c);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new ApiError("invalid_parameter", "(root): expected a feature definition object");
    }
    const input = { ...body, entity: c.req.param("entity"), name: c.req.param("name") };
    const { value, registryVersion } = unwrap(await deps.features.registry.putFeature(input));
    return c.json({ feature: value, registryVersion });
  });
}
