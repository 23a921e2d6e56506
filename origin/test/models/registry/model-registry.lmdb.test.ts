import { lmdbTarget } from "../../features/support/store-targets.js";
import { modelRegistrySuite } from "./model-registry.suite.js";

modelRegistrySuite(lmdbTarget);
