import { describe } from "vitest";
import { openAerospikeTestStore } from "../support/open-test-store.js";
import { streamProcessorSuite } from "./stream-processor.suite.js";

const hosts = process.env.AEROSPIKE_HOSTS;

if (hosts) {
  streamProcessorSuite("aerospike", () => openAerospikeTestStore(hosts));
} else {
  // Reported as skipped, not silently absent: set AEROSPIKE_HOSTS=host:port to run against a real server.
  describe.skip("stream processor: aerospike (set AEROSPIKE_HOSTS to run)", () => {
    streamProcessorSuite("aerospike", () => Promise.reject(new Error("unreachable")));
  });
}
