import { Hono } from "hono";
import { installErrorHandling } from "#shared/http/error-handling";
import { type RequestIdVariables, requestId } from "#shared/http/request-id";
import type { EdgeBindings } from "./env.js";
import { registerHealthz } from "./routes/healthz.js";
import { registerInternalHotPublish } from "./routes/internal_hot_publish.js";
import { registerInternalHotRead } from "./routes/internal_hot_read.js";
import { registerEvents } from "./routes/v1_events.js";
import { registerRecommendations } from "./routes/v1_recommendations.js";
import { rateLimit, requestSizeLimits } from "./security/request-limits.js";
import { type ShopperVariables, shopperIdentity } from "./security/shopper-identity.js";

export type EdgeApp = { Bindings: EdgeBindings; Variables: RequestIdVariables & ShopperVariables };

/** The edge worker's app, built once per isolate. */
export function createEdgeApp(): Hono<EdgeApp> {
  const app = new Hono<EdgeApp>();
  app.use(requestId());
  installErrorHandling(app, (error) => {
    console.error("unhandled error", error instanceof Error ? error.message : String(error));
  });
  // Every shopper-facing route: oversized requests refused before any work (413), then
  // who asks (`c.get("shopper")`), then that client's rate (429).
  app.use("/v1/*", requestSizeLimits(), shopperIdentity(), rateLimit());
  registerHealthz(app);
  registerRecommendations(app);
  registerEvents(app);
  registerInternalHotPublish(app);
  registerInternalHotRead(app);
  return app;
}
