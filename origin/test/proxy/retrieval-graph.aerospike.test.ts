import { describe } from "vitest";
import { aerospikeTarget, lmdbTarget } from "../features/support/store-targets.js";
import { retrievalGraphSuite } from "./retrieval-graph.suite.js";

const hosts = process.env.AEROSPIKE_HOSTS;

if (hosts) {
  retrievalGraphSuite(aerospikeTarget(hosts));
} else {
  // Reported as skipped, not silently absent: set AEROSPIKE_HOSTS=host:port to run against a real server.
  describe.skip("retrieval graph: aerospike (set AEROSPIKE_HOSTS to run)", () => {
    retrievalGraphSuite(lmdbTarget);
  });
}
