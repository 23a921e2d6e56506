import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { loadOriginConfig } from "../../src/config/origin-config.js";
import { type RunningOrigin, startOrigin } from "../../src/start-origin.js";

/**
 * A real origin over HTTP for one test file: demo data seeded into its own
 * temporary LMDB, started before the file's tests and removed after them.
 * `env` adds or overrides origin variables (secret, region, admin token …).
 */
export function useSeededOrigin(
  label: string,
  env: Record<string, string>,
): { readonly url: string } {
  const dir = mkdtempSync(join(tmpdir(), `reco-${label}-`));
  let origin: RunningOrigin | undefined;
  beforeAll(async () => {
    origin = await startOrigin(
      loadOriginConfig({
        ORIGIN_PORT: "0",
        LMDB_PATH: join(dir, "lmdb"),
        SEED_DEMO_DATA: "true",
        LOG_LEVEL: "silent",
        ...env,
      }),
    );
  });
  afterAll(async () => {
    await origin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get url() {
      if (!origin) throw new Error(`${label}: origin not started (use it inside a test)`);
      return origin.url;
    },
  };
}
