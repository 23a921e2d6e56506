import { z } from "zod";
import { FeatureValue, Name } from "./definitions.js";

/** Bounds of one serve request: enough for a re-rank of 1,000 candidates, small enough for one batch read. */
export const MAX_KEYS_PER_GROUP = 1_000;
export const MAX_FEATURES_PER_GROUP = 500;
export const MAX_GROUPS = 16;

/**
 * `present`: stored and fresh. `default`: never stored, the definition's
 * default is served. `expired`: stored but older than the TTL, the default is
 * served (never the old value). `missing`: never stored and no default.
 */
export const FeatureStatus = z.enum(["present", "default", "expired", "missing"]);
export type FeatureStatus = z.infer<typeof FeatureStatus>;

export const FeatureGroupRequest = z.object({
  entity: Name,
  keys: z.array(z.string().min(1).max(1024)).max(MAX_KEYS_PER_GROUP),
  features: z.array(Name).min(1).max(MAX_FEATURES_PER_GROUP),
});
export type FeatureGroupRequest = z.infer<typeof FeatureGroupRequest>;

/** Identifies the model a served vector is for, so the training log matches serving. */
export const FeatureLogContext = z.object({
  modelId: z.string().min(1).max(128),
  modelVersion: z.string().min(1).max(64),
  requestId: z.string().min(1).max(128),
});
export type FeatureLogContext = z.infer<typeof FeatureLogContext>;

/** `POST /internal/features/get`. */
export const FeatureGetRequest = z.object({
  requests: z.array(FeatureGroupRequest).min(1).max(MAX_GROUPS),
  log: FeatureLogContext.optional(),
});
export type FeatureGetRequest = z.infer<typeof FeatureGetRequest>;

/** One entity instance: values, statuses and ages aligned with the group's `features`. */
export const FeatureRowResponse = z.object({
  key: z.string(),
  values: z.array(FeatureValue.nullable()),
  status: z.array(FeatureStatus),
  /** Ms since the value was written; `null` unless present or expired. */
  ageMs: z.array(z.number().nullable()),
});

export const FeatureGroupResponse = z.object({
  entity: z.string(),
  features: z.array(z.string()),
  rows: z.array(FeatureRowResponse),
});
export type FeatureGroupResponse = z.infer<typeof FeatureGroupResponse>;

export const FeatureGetResponse = z.object({
  /** One per request group, in request order. */
  results: z.array(FeatureGroupResponse),
  servedAt: z.number().int(),
});
export type FeatureGetResponse = z.infer<typeof FeatureGetResponse>;
