import { describe } from "vitest";
import { aerospikeTarget, lmdbTarget } from "../features/support/store-targets.js";
import { surfaceConfigSuite } from "./surface-configs.suite.js";

const hosts = process.env.AEROSPIKE_HOSTS;

if (hosts) {
  surfaceConfigSuite(aerospikeTarget(hosts));
} else {
  // Reported as skipped, not silently absent: set AEROSPIKE_HOSTS=host:port to run against a real server.
  describe.skip("rules and experiments storage: aerospike (set AEROSPIKE_HOSTS to run)", () => {
    surfaceConfigSuite(lmdbTarget);
  });
}
