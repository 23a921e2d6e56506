import type { Hono } from "hono";
import { EntityPutBody } from "#shared/features/admin";
import { EntityDefinition } from "#shared/features/definitions";
import { parseOrThrow } from "#shared/http/api-error";
import type { OriginDeps } from "../../app.js";
import { readJson } from "../read-json.js";
import { unwrap } from "./change-result.js";

/** `PUT /admin/entities/:name`: declares an entity or changes its description or (unused) key parts. */
export function registerAdminEntitiesPut(app: Hono, deps: OriginDeps): void {
  app.put("/entities/:name", async (c) => {
    const body = parseOrThrow(EntityPutBody, await readJson(c));
    const entity = parseOrThrow(EntityDefinition, { ...body, name: c.req.param("name") });
    const { value, registryVersion } = unwrap(await deps.features.registry.putEntity(entity));
    return c.json({ entity: value, registryVersion });
  });
}
