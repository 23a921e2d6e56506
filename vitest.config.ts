import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Test processes talk to real LMDB, real HTTP and (when AEROSPIKE_HOSTS is set)
// a real Aerospike; 30 s covers a cold wrangler/workerd start on 2 cores.
const SLOW_TEST_TIMEOUT_MS = 30_000;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "shared",
          environment: "node",
          include: ["shared/test/**/*.test.ts"],
        },
      },
      {
        test: {
          // Dev tooling (scripts/): configuration checks that need Node and wrangler's config reader.
          name: "scripts",
          environment: "node",
          include: ["scripts/test/**/*.test.ts"],
          testTimeout: SLOW_TEST_TIMEOUT_MS,
        },
      },
      {
        test: {
          name: "origin",
          environment: "node",
          include: ["origin/test/**/*.test.ts"],
          testTimeout: SLOW_TEST_TIMEOUT_MS,
          hookTimeout: SLOW_TEST_TIMEOUT_MS,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ORIGIN_URL: inject("originUrl"),
                ORIGIN_SIGNING_SECRET: inject("originSigningSecret"),
                SESSION_COOKIE_SECRET: "edge-test-session-cookie-secret",
                SHOPPER_TOKEN_SECRET: "edge-test-shopper-token-secret",
                REGION: "edge-test",
              },
            },
          })),
        ],
        test: {
          name: "edge",
          include: ["edge/test/**/*.test.ts"],
          globalSetup: ["edge/test/node/global-setup.ts"],
          testTimeout: SLOW_TEST_TIMEOUT_MS,
          hookTimeout: SLOW_TEST_TIMEOUT_MS,
        },
      },
    ],
  },
});
