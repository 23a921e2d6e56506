import type { Hono } from "hono";
import { Surface } from "#shared/api/recommendations";
import { parseOrThrow } from "#shared/http/api-error";
import type { RulesDocument } from "#shared/rules/rules-config";
import type { OriginDeps } from "../../app.js";

/** `GET /admin/rules/:surface`: the rules this process applies (version 0, no rules, if never set). */
export function registerAdminRulesGet(app: Hono, deps: OriginDeps): void {
  app.get("/rules/:surface", (c) => {
    const surface = parseOrThrow(Surface, c.req.param("surface"));
    const doc: RulesDocument = deps.rules.document(surface) ?? {
      surface,
      version: 0,
      updatedAt: 0,
      rules: [],
    };
    return c.json(doc);
  });
}
