import { describe } from "vitest";
import { featurePlatformSuite } from "./feature-platform.suite.js";
import { aerospikeTarget, lmdbTarget } from "./support/store-targets.js";

const hosts = process.env.AEROSPIKE_HOSTS;

if (hosts) {
  featurePlatformSuite(aerospikeTarget(hosts));
} else {
  // Reported as skipped, not silently absent: set AEROSPIKE_HOSTS=host:port to run against a real server.
  describe.skip("feature platform: aerospike (set AEROSPIKE_HOSTS to run)", () => {
    featurePlatformSuite(lmdbTarget);
  });
}
