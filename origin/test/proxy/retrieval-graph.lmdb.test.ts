import { lmdbTarget } from "../features/support/store-targets.js";
import { retrievalGraphSuite } from "./retrieval-graph.suite.js";

retrievalGraphSuite(lmdbTarget);
