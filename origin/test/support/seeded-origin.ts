import { beforeAll } from "vitest";
import type { RunningOrigin } from "../../src/start-origin.js";
import { useTestOrigins } from "./test-origins.js";

/**
 * A real origin over HTTP for one test file: demo data seeded into its own
 * temporary LMDB, started before the file's tests and removed after them.
 * `env` adds or overrides origin variables (secret, region, admin token …).
 */
export function useSeededOrigin(
  label: string,
  env: Record<string, string>,
): { readonly url: string } {
  const origins = useTestOrigins(label);
  let origin: RunningOrigin | undefined;
  beforeAll(async () => {
    origin = await origins.start({ SEED_DEMO_DATA: "true", ...env });
  });
  return {
    get url() {
      if (!origin) throw new Error(`${label}: origin not started (use it inside a test)`);
      return origin.url;
    },
  };
}
