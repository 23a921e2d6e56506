import type { Hono } from "hono";
import type { HealthResponse } from "#shared/api/health";
import type { EdgeApp } from "../app.js";
import { edgeConfig } from "../config/edge-config.js";

/** `GET /healthz`: the edge itself is up and configured (the origin has its own /healthz). */
export function registerHealthz(app: Hono<EdgeApp>): void {
  app.get("/healthz", (c) => {
    const config = edgeConfig(c.env);
    const body: HealthResponse = {
      status: "ok",
      service: "edge",
      region: config.region,
      checks: { config: "ok" },
    };
    return c.json(body);
  });
}
