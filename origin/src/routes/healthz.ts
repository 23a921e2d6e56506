import type { Hono } from "hono";
import type { HealthResponse } from "#shared/api/health";
import type { OriginDeps } from "../app.js";

/** `GET /healthz`: liveness plus the store's state; 503 when the store is down. */
export function registerHealthz(app: Hono, deps: OriginDeps): void {
  app.get("/healthz", async (c) => {
    const storeUp = await deps.store.ping().catch(() => false);
    const body: HealthResponse = {
      status: storeUp ? "ok" : "degraded",
      service: "origin",
      region: deps.region,
      checks: { store: storeUp ? "ok" : "down" },
    };
    return c.json(body, storeUp ? 200 : 503);
  });
}
