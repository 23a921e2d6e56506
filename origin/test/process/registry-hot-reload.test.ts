import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureListResponse } from "#shared/features/admin";
import { type OriginProcess, startOriginProcess } from "../../../scripts/lib/origin-process.js";
import { recordKeys } from "../../src/catalog/record-keys.js";
import { FeatureRegistry } from "../../src/features/registry/feature-registry.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";

const ADMIN_TOKEN = "hot-reload-admin-token-0123";
const dir = mkdtempSync(join(tmpdir(), "reco-hot-reload-"));
const lmdbPath = join(dir, "lmdb");
let origin: OriginProcess;

beforeAll(async () => {
  origin = await startOriginProcess({
    ORIGIN_SIGNING_SECRET: "hot-reload-test-secret",
    ADMIN_TOKEN,
    LMDB_PATH: lmdbPath,
    FEATURE_REGISTRY_POLL_MS: "50",
    REGION: "hot",
  });
});
afterAll(async () => {
  await origin?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function listed(): Promise<string[]> {
  const response = await fetch(`${origin.url}/admin/features`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = FeatureListResponse.parse(await response.json());
  return body.features.map((f) => `${f.entity}.${f.name}`);
}

describe("feature registry hot reload across processes", () => {
  it("a running origin picks up a change another process made, without restart", async () => {
    expect(await listed()).not.toContain("item.hot_flag");
    // Another process (this test) changes the registry in the same store.
    const store = new LmdbStore({ path: lmdbPath });
    try {
      const registry = await FeatureRegistry.open(store, recordKeys("reco"), { pollMs: 0 });
      expect(registry.snapshot().regions).toContain("hot");
      const result = await registry.putFeature({ entity: "item", name: "hot_flag", type: "bool" });
      expect(result.ok).toBe(true);
      registry.close();
    } finally {
      await store.close();
    }
    await expect.poll(listed, { timeout: 5_000, interval: 50 }).toContain("item.hot_flag");
  });
});
