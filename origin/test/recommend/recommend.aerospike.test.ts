import { describe } from "vitest";
import { aerospikeTarget, lmdbTarget } from "../features/support/store-targets.js";
import { recommendSuite } from "./recommend.suite.js";

const hosts = process.env.AEROSPIKE_HOSTS;

if (hosts) {
  recommendSuite(aerospikeTarget(hosts));
} else {
  // Reported as skipped, not silently absent: set AEROSPIKE_HOSTS=host:port to run against a real server.
  describe.skip("fallback ladder and experiments: aerospike (set AEROSPIKE_HOSTS to run)", () => {
    recommendSuite(lmdbTarget);
  });
}
