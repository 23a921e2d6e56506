import { z } from "zod";
import { RegionName } from "../config/region.js";

/**
 * The wire contract of the edge's per-region hot layer (docs/edge.md, "Hot
 * layer"): the edge pulls entries from the origin on a miss
 * (`POST /internal/hot/get`) and the origin pushes changes to every edge
 * (`POST /internal/hot/publish`). Both directions are signed with the shared
 * `ORIGIN_SIGNING_SECRET`.
 */

/**
 * `poolOverlay` (id = a retrieval pool's version): the stock, category and
 * brand of items written since that pool was built, which the edge's filters
 * apply over the pool's own columns (`shared/src/hot/pool-overlay.ts`).
 */
export const HotKind = z.enum([
  "item",
  "user",
  "trending",
  "covisit",
  "rules",
  "model",
  "poolOverlay",
]);
export type HotKind = z.infer<typeof HotKind>;

/** Entry ids become store keys at the origin: no "|" (the key-part separator), bounded length. */
export const HotId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^|]+$/, 'must not contain "|"');

/** One pull asks for at most this many ids: one batched store read per kind. */
export const MAX_HOT_IDS_PER_PULL = 500;
/** One publish carries at most this many entries, so a body stays well under the edge's limits. */
export const MAX_HOT_ENTRIES_PER_PUBLISH = 1_000;

export const HotWireEntry = z.object({
  kind: HotKind,
  id: HotId,
  /** `null`: the origin has nothing for this id (cached as known-absent; `model` null = no active model). */
  value: z.unknown(),
  /** Content version (a rules document's version, an item's last write time …): stable while the value is. */
  version: z.number().int().nonnegative(),
  /** Epoch ms at the origin when this content was written. */
  updatedAt: z.number().int().nonnegative(),
  /**
   * Epoch ms at the origin when it read this value. Orders writes at the
   * edge: a publish and a pull that cross never step a newer value back.
   */
  observedAt: z.number().int().nonnegative(),
});
export type HotWireEntry = z.infer<typeof HotWireEntry>;

/** `POST /internal/hot/get` (signed): the entries for these ids in the edge's region. */
export const HotGetRequest = z
  .object({
    region: RegionName,
    kind: HotKind,
    ids: z.array(HotId).min(1).max(MAX_HOT_IDS_PER_PULL),
  })
  .strict();
export type HotGetRequest = z.infer<typeof HotGetRequest>;

export const HotGetResponse = z.object({
  /** One per requested id, in request order. */
  entries: z.array(HotWireEntry),
});
export type HotGetResponse = z.infer<typeof HotGetResponse>;

/** The retrieval pool's identity: the bytes change exactly when `version` does. */
export const HotPoolHead = z.object({
  version: z.number().int().nonnegative(),
  updatedAt: z.number().int().nonnegative(),
  /** Length of the encoded pool; 0 = the origin has no pool. */
  bytes: z.number().int().nonnegative(),
});
export type HotPoolHead = z.infer<typeof HotPoolHead>;

/**
 * `POST /internal/hot/pool` (signed): the retrieval pool's bytes
 * (`application/octet-stream`, head in `x-hot-pool-*` headers), or 304-like
 * `{ unchanged: true }` JSON when the edge already holds `haveVersion`.
 */
export const HotPoolRequest = z
  .object({ region: RegionName, haveVersion: z.number().int().nonnegative().optional() })
  .strict();
export type HotPoolRequest = z.infer<typeof HotPoolRequest>;

export const HOT_POOL_VERSION_HEADER = "x-hot-pool-version";
export const HOT_POOL_UPDATED_AT_HEADER = "x-hot-pool-updated-at";

/** `POST /internal/hot/publish` at the edge (signed by the origin). */
export const HotPublishRequest = z
  .object({
    entries: z.array(HotWireEntry).max(MAX_HOT_ENTRIES_PER_PUBLISH),
    /** The pool changed: the edge's region store pulls these bytes now. */
    pool: HotPoolHead.optional(),
  })
  .strict();
export type HotPublishRequest = z.infer<typeof HotPublishRequest>;

export const HotPublishResponse = z.object({
  /** Entries that replaced what the region store held (older or equal ones are ignored). */
  applied: z.number().int().nonnegative(),
  poolVersion: z.number().int().nonnegative().nullable(),
});
export type HotPublishResponse = z.infer<typeof HotPublishResponse>;
