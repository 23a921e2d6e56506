import { lmdbTarget } from "../features/support/store-targets.js";
import { surfaceConfigSuite } from "./surface-configs.suite.js";

surfaceConfigSuite(lmdbTarget);
