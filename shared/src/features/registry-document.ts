import { z } from "zod";
import { RegionName } from "../config/region.js";
import { EntityDefinition, FeatureDefinition } from "./definitions.js";

/**
 * The registry record (`meta/feature-registry`) as stored: only what was
 * declared through the admin API. Built-in entities and system features are
 * merged in code (`origin/src/features/system-features.ts`), never stored.
 */
export const RegistryDocument = z.object({
  /** Bumped on every change; reported by `GET /admin/features`. */
  version: z.number().int().nonnegative(),
  entities: z.array(EntityDefinition),
  features: z.array(FeatureDefinition),
  /** Every region whose origin has started, so per-region bins can be summed on read. */
  regions: z.array(RegionName),
  /** Counter behind user feature bins (`f` + base 36); only ever grows, so a bin is never reused. */
  nextBin: z.number().int().nonnegative(),
});
export type RegistryDocument = z.infer<typeof RegistryDocument>;

export const EMPTY_REGISTRY: RegistryDocument = {
  version: 0,
  entities: [],
  features: [],
  regions: [],
  nextBin: 0,
};
