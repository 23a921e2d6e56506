import { lmdbTarget } from "../features/support/store-targets.js";
import { recommendSuite } from "./recommend.suite.js";

recommendSuite(lmdbTarget);
