import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { loadOriginConfig } from "../../src/config/origin-config.js";
import { type RunningOrigin, startOrigin } from "../../src/start-origin.js";

export interface TestOrigins {
  /** The file's temporary directory (LMDB environments, feature logs …). */
  readonly dir: string;
  /**
   * Starts a real origin on an ephemeral port with silent logs and its LMDB
   * at `<dir>/<lmdb>`; `env` adds or overrides origin variables. Two origins
   * given one `lmdb` share it, like two processes on one Aerospike cluster.
   */
  start(env: Record<string, string>, lmdb?: string): Promise<RunningOrigin>;
}

/**
 * Real origins over HTTP for one test file, in a temporary directory: every
 * origin it started is stopped after the file's tests, then the directory is
 * removed.
 */
export function useTestOrigins(label: string): TestOrigins {
  const dir = mkdtempSync(join(tmpdir(), `reco-${label}-`));
  const started: RunningOrigin[] = [];
  afterAll(async () => {
    for (const origin of started) await origin.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async start(env, lmdb = "lmdb") {
      const origin = await startOrigin(
        loadOriginConfig({
          ORIGIN_PORT: "0",
          LMDB_PATH: join(dir, lmdb),
          LOG_LEVEL: "silent",
          ...env,
        }),
      );
      started.push(origin);
      return origin;
    },
  };
}
