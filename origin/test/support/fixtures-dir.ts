import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repo root, from this file's location (origin/test/support/). */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * Where the outside reference data lives (datasets, real libraries' model
 * files and predictions; never committed here): `FIXTURES_DIR` if set, else
 * `../shared/fixtures` beside the checkout, else this workplace's
 * `/work/shared/fixtures` (a clone made elsewhere, e.g. in /tmp, still finds
 * it). Returns the first candidate when none exists, so callers fail naming it.
 */
export function fixturesDir(): string {
  const candidates = [
    process.env.FIXTURES_DIR,
    resolve(repoRoot, "../shared/fixtures"),
    "/work/shared/fixtures",
  ].filter((dir): dir is string => dir !== undefined && dir !== "");
  return candidates.find((dir) => existsSync(dir)) ?? (candidates[0] as string);
}
