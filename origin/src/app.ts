import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { installErrorHandling } from "#shared/http/error-handling";
import { requestId } from "#shared/http/request-id";
import { requireSignature } from "#shared/http/require-signature";
import type { RecordKeys } from "./catalog/record-keys.js";
import type { EventIngestion } from "./events/event-ingestion.js";
import type { ExperimentsStore } from "./experiments/experiments-store.js";
import type { FeatureServices } from "./features/feature-services.js";
import type { Logger } from "./logger.js";
import type { ModelRegistry } from "./models/registry/model-registry.js";
import { publishAdminChanges } from "./publish/admin-changes.js";
import type { HotServices } from "./publish/hot-services.js";
import { createAdminApp } from "./routes/admin/admin-app.js";
import { registerHealthz } from "./routes/healthz.js";
import { registerInternalEvents } from "./routes/internal_events.js";
import { registerInternalFeaturesGet } from "./routes/internal_features_get.js";
import { registerInternalHotGet } from "./routes/internal_hot_get.js";
import { registerInternalHotPool } from "./routes/internal_hot_pool.js";
import { registerInternalRank } from "./routes/internal_rank.js";
import { registerInternalRecommendations } from "./routes/internal_recommendations.js";
import type { RulesStore } from "./rules/rules-store.js";
import type { StorePort } from "./store/port.js";

/** Everything a route may use, built once per process by `server.ts`. */
export interface OriginDeps {
  store: StorePort;
  keys: RecordKeys;
  region: string;
  signingSecret: string;
  logger: Logger;
  /** Event ingestion (`POST /internal/events`): event log + stream processor. */
  events: EventIngestion;
  /** Feature registry, serving, writes and the training log. */
  features: FeatureServices;
  /** Bearer token of `/admin/*`; `undefined` disables the admin API (403). */
  adminToken: string | undefined;
  /** Model versions and their retrieval graphs (`/admin/models`, `/internal/rank`); absent = 404 there. */
  models?: ModelRegistry;
  /** Business rules per surface, compiled once per version (`applyRules`). */
  rules: RulesStore;
  /** Traffic splits between model versions per surface (`assignArm`). */
  experiments: ExperimentsStore;
  /** The edge hot layer's source and publisher (`/internal/hot/*`); absent = 404 there. */
  hot?: HotServices;
}

/** Internal bodies are batches from the edge; 1 MiB bounds a bad or hostile one. */
const INTERNAL_BODY_LIMIT_BYTES = 1024 * 1024;

/** The origin's HTTP app; entry files only wire it to a server. */
export function createOriginApp(deps: OriginDeps): Hono {
  const app = new Hono();
  app.use(requestId());
  installErrorHandling(app, (error, c) => {
    deps.logger.error({ err: error, path: c.req.path }, "unhandled error");
  });
  registerHealthz(app, deps);

  const internal = new Hono();
  internal.use(bodyLimit({ maxSize: INTERNAL_BODY_LIMIT_BYTES }));
  internal.use(requireSignature(deps.signingSecret));
  registerInternalRecommendations(internal, deps);
  registerInternalEvents(internal, deps);
  registerInternalFeaturesGet(internal, deps);
  registerInternalRank(internal, deps);
  registerInternalHotGet(internal, deps);
  registerInternalHotPool(internal, deps);
  app.route("/internal", internal);
  // Before the admin routes: after a successful write it logs changed items for the edges'
  // pool overlays (published or not) and queues the change for every edge.
  if (deps.hot) app.use("/admin/*", publishAdminChanges(deps.hot));
  app.route("/admin", createAdminApp(deps));
  return app;
}
