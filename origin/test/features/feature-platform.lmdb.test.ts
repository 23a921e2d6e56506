import { featurePlatformSuite } from "./feature-platform.suite.js";
import { lmdbTarget } from "./support/store-targets.js";

featurePlatformSuite(lmdbTarget);
