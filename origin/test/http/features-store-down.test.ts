import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { signRequest } from "#shared/security/request-signing";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import { createOriginApp, type OriginDeps } from "../../src/app.js";
import { recordKeys } from "../../src/catalog/record-keys.js";
import { createFeatureServices } from "../../src/features/create-feature-services.js";
import { FeatureServer } from "../../src/features/serving/feature-server.js";
import { createLogger } from "../../src/logger.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import { StoreError, type StorePort } from "../../src/store/port.js";

const SECRET = "store-down-test-secret";
const dir = mkdtempSync(join(tmpdir(), "reco-features-down-"));
let store: LmdbStore;
let app: ReturnType<typeof createOriginApp>;
let close: () => Promise<void>;

beforeAll(async () => {
  store = new LmdbStore({ path: join(dir, "lmdb") });
  // The registry loads from the real store; reads for serving then fail like a store that went away.
  const failing: StorePort = Object.create(store, {
    batchGet: { value: () => Promise.reject(new StoreError("timeout", "batch read timed out")) },
  });
  const keys = recordKeys("reco");
  const features = await createFeatureServices({
    store,
    keys,
    namespace: "reco",
    region: "down",
    registryPollMs: 60_000,
    logSampleRate: 0,
    logPath: join(dir, "log.ndjson"),
  });
  features.server = new FeatureServer({
    store: failing,
    namespace: "reco",
    registry: features.registry,
  });
  close = features.close;
  app = createOriginApp({
    store,
    keys,
    region: "down",
    signingSecret: SECRET,
    logger: createLogger("silent"),
    events: {} as OriginDeps["events"],
    features,
    adminToken: undefined,
    rules: {} as OriginDeps["rules"],
    experiments: {} as OriginDeps["experiments"],
  });
});
afterAll(async () => {
  await close?.();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("feature serving when the store fails", () => {
  it("answers 503 store_unavailable, not 500", async () => {
    const body = JSON.stringify({
      requests: [{ entity: "user", keys: ["u1"], features: ["recent_items"] }],
    });
    const path = "/internal/features/get";
    const headers = await signRequest({
      method: "POST",
      pathWithQuery: path,
      body,
      secret: SECRET,
    });
    const response = await app.request(`http://origin${path}`, { method: "POST", body, headers });
    await expectError(response, 503, "store_unavailable", "unavailable");
  });
});
