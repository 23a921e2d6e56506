import { join } from "node:path";

/** The regions `npm run dev:regions` runs: wrangler.toml environments, each with its own origin. */
export const DEV_REGIONS = ["ap-south", "eu-west"] as const;

export interface RegionPlan {
  /** Both the wrangler.toml environment and the REGION its edge and origin report. */
  region: string;
  edgePort: number;
  originPort: number;
  inspectorPort: number;
  /** Each region's origin has its own store, as production regions do (Aerospike XDR between them). */
  lmdbPath: string;
  /** Each region's edge has its own Durable Object, cache and queue state. */
  persistTo: string;
}

/**
 * Where each region runs: from `basePort`, edge then origin per region
 * (8787/8788 ap-south, 8789/8790 eu-west by default, matching wrangler.toml's
 * ORIGIN_URLs), one inspector port each, state under `.data/regions/<region>`
 * and `.wrangler/regions/<region>` so `npm run dev`'s `.data/lmdb` is untouched.
 */
export function regionPlan(root: string, basePort = 8787, inspectorBase = 9229): RegionPlan[] {
  return DEV_REGIONS.map((region, i) => ({
    region,
    edgePort: basePort + 2 * i,
    originPort: basePort + 2 * i + 1,
    inspectorPort: inspectorBase + i,
    lmdbPath: join(root, ".data/regions", region, "lmdb"),
    persistTo: join(root, ".wrangler/regions", region),
  }));
}
