import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startOriginProcess } from "../../../scripts/lib/origin-process.js";
import type {} from "../provided-context.js";

/**
 * Runs in Node before the edge tests: starts a real origin process on a
 * temporary LMDB store with the demo data, and hands its URL and the shared
 * secret to the worker's bindings.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "reco-edge-test-"));
  const secret = `edge-test-${crypto.randomUUID()}`;
  // Lets tests change models, rules and experiments through the origin's admin API.
  const adminToken = `edge-admin-${crypto.randomUUID()}`;
  const origin = await startOriginProcess({
    ORIGIN_SIGNING_SECRET: secret,
    LMDB_PATH: join(dir, "lmdb"),
    SEED_DEMO_DATA: "true",
    REGION: "edge-test",
    ADMIN_TOKEN: adminToken,
    // No pool rebuild during a run: item writes reach the edge's filters through the pool
    // overlay alone, which is what edge/test/hot-pool-overlay.test.ts checks.
    HOT_POOL_REBUILD_MS: "3600000",
  }).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  project.provide("originUrl", origin.url);
  project.provide("originSigningSecret", secret);
  project.provide("originAdminToken", adminToken);
  return async () => {
    await origin.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
