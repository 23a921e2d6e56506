import { describe } from "vitest";
import { aerospikeTarget, lmdbTarget } from "../../features/support/store-targets.js";
import { modelRegistrySuite } from "./model-registry.suite.js";

const hosts = process.env.AEROSPIKE_HOSTS;

if (hosts) {
  modelRegistrySuite(aerospikeTarget(hosts));
} else {
  // Reported as skipped, not silently absent: set AEROSPIKE_HOSTS=host:port to run against a real server.
  describe.skip("model registry: aerospike (set AEROSPIKE_HOSTS to run)", () => {
    modelRegistrySuite(lmdbTarget);
  });
}
