import type { MiddlewareHandler } from "hono";
import { Surface } from "#shared/api/recommendations";
import type { HotServices } from "./hot-services.js";

const RULES_PUT = /^\/admin\/rules\/([^/]+)$/;
const EXPERIMENT_PUT = /^\/admin\/experiments\/([^/]+)$/;
const MODEL_CHANGE = /^\/admin\/models\/[^/]+(?:\/(?:activate|rollback))?$/;

/**
 * Tells the hot layer what a successful admin write changed: feature writes
 * of items and users (their ids), a surface's rules, a surface's experiment,
 * and any model upload, activation or rollback (every surface's model may
 * move). Item writes always go into the retrieval pool's change log (the
 * edges' pool overlays are cut from it, published or pulled); the rest only
 * matters to the publisher. Runs after the handler, reads the body Hono
 * already cached, and never fails the admin call: publishing is best effort
 * on top of the pull.
 */
export function publishAdminChanges(hot: HotServices): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status < 200 || c.res.status >= 300) return;
    const publisher = hot.publisher;
    const { method, path } = c.req;
    try {
      if (method === "POST" && path === "/admin/features/write") {
        const body = (await c.req.json()) as { entity?: unknown; rows?: { key?: unknown }[] };
        if (body.entity !== "item" && body.entity !== "user") return;
        const ids = (body.rows ?? [])
          .map((row) => row?.key)
          .filter((key): key is string => typeof key === "string" && !key.includes("|"));
        if (body.entity === "item" && ids.length > 0) hot.pool.itemsChanged(ids);
        publisher?.changed(body.entity, ids);
        return;
      }
      if (!publisher) return;
      if (method === "PUT" && RULES_PUT.test(path)) {
        publisher.changed("rules", [path.replace(RULES_PUT, "$1")]);
        return;
      }
      if (method === "PUT" && EXPERIMENT_PUT.test(path)) {
        publisher.changed("model", [path.replace(EXPERIMENT_PUT, "$1")]);
        return;
      }
      if ((method === "PUT" || method === "POST") && MODEL_CHANGE.test(path)) {
        publisher.changed("model", Surface.options);
      }
    } catch {
      // The write succeeded; a publish we could not derive is covered by the edge's re-pull.
    }
  };
}
