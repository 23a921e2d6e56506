import { z } from "zod";
import { EntityDefinition, FeatureDefinition, FeatureDefinitionInput } from "./definitions.js";

/** Most rows one `POST /admin/features/write` takes; bigger loads go through the backfill CLI. */
export const MAX_WRITE_ROWS = 5_000;

/** `PUT /admin/entities/:name` body (the name comes from the path). */
export const EntityPutBody = EntityDefinition.omit({ name: true });
export type EntityPutBody = z.input<typeof EntityPutBody>;

/** `PUT /admin/features/:entity/:name` body (entity and name come from the path). */
export const FeaturePutBody = FeatureDefinitionInput.omit({ entity: true, name: true });
export type FeaturePutBody = z.input<typeof FeaturePutBody>;

/** An entity as listed: built-in ones are marked `system` and cannot be changed. */
export const ListedEntity = EntityDefinition.extend({ system: z.boolean() });

/** `GET /admin/features`. */
export const FeatureListResponse = z.object({
  version: z.number().int().nonnegative(),
  entities: z.array(ListedEntity),
  features: z.array(FeatureDefinition),
  regions: z.array(z.string()),
});
export type FeatureListResponse = z.infer<typeof FeatureListResponse>;

/** `PUT /admin/entities/:name`. */
export const EntityPutResponse = z.object({
  entity: EntityDefinition,
  registryVersion: z.number().int().nonnegative(),
});

/** `PUT` and `DELETE /admin/features/:entity/:name`: the stored (or removed) definition. */
export const FeaturePutResponse = z.object({
  feature: FeatureDefinition,
  registryVersion: z.number().int().nonnegative(),
});
export type FeaturePutResponse = z.infer<typeof FeaturePutResponse>;

/**
 * One row of a batch write: a partial update of one entity instance. `null`
 * deletes that feature's value; `ts` (epoch ms) is when the values were true,
 * default now. Rows are validated one by one so one bad row fails alone.
 */
export const FeatureRow = z.object({
  key: z.string().min(1).max(1024),
  values: z.record(z.string(), z.unknown()),
  ts: z.number().int().nonnegative().optional(),
});
export type FeatureRow = z.infer<typeof FeatureRow>;

/** `POST /admin/features/write`. Rows stay `unknown` here: each is checked on its own. */
export const FeatureWriteRequest = z.object({
  entity: z.string().min(1),
  rows: z.array(z.unknown()).min(1).max(MAX_WRITE_ROWS),
});

export const RowError = z.object({ index: z.number().int().nonnegative(), reason: z.string() });
export type RowError = z.infer<typeof RowError>;

export const FeatureWriteResponse = z.object({
  written: z.number().int().nonnegative(),
  errors: z.array(RowError),
});
export type FeatureWriteResponse = z.infer<typeof FeatureWriteResponse>;
