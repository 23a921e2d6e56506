import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { OriginDeps } from "../../app.js";
import { verifyAdminToken } from "../../http/verify-admin-token.js";
import { registerAdminEntitiesPut } from "./admin_entities_put.js";
import { registerAdminExperimentsGet } from "./admin_experiments_get.js";
import { registerAdminExperimentsPut } from "./admin_experiments_put.js";
import { registerAdminFeaturesDelete } from "./admin_features_delete.js";
import { registerAdminFeaturesList } from "./admin_features_list.js";
import { registerAdminFeaturesPut } from "./admin_features_put.js";
import { registerAdminFeaturesWrite } from "./admin_features_write.js";
import { registerAdminModelsActivate } from "./admin_models_activate.js";
import { registerAdminModelsGet } from "./admin_models_get.js";
import { registerAdminModelsPut } from "./admin_models_put.js";
import { registerAdminModelsRollback } from "./admin_models_rollback.js";
import { registerAdminRulesGet } from "./admin_rules_get.js";
import { registerAdminRulesPut } from "./admin_rules_put.js";

/** 5,000 rows of a few features with a 256-d vector fit in 16 MiB; larger loads use the CLI. */
const ADMIN_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** The admin API (`/admin/*`), behind the admin bearer token. */
export function createAdminApp(deps: OriginDeps): Hono {
  const admin = new Hono();
  admin.use(verifyAdminToken(deps.adminToken));
  admin.use(bodyLimit({ maxSize: ADMIN_BODY_LIMIT_BYTES }));
  registerAdminFeaturesList(admin, deps);
  registerAdminEntitiesPut(admin, deps);
  registerAdminFeaturesWrite(admin, deps);
  registerAdminFeaturesPut(admin, deps);
  registerAdminFeaturesDelete(admin, deps);
  registerAdminModelsPut(admin, deps);
  registerAdminModelsGet(admin, deps);
  registerAdminModelsActivate(admin, deps);
  registerAdminModelsRollback(admin, deps);
  registerAdminRulesGet(admin, deps);
  registerAdminRulesPut(admin, deps);
  registerAdminExperimentsGet(admin, deps);
  registerAdminExperimentsPut(admin, deps);
  return admin;
}
