import { z } from "zod";

/**
 * The feature registry's contract: entities (what a feature is about) and
 * feature definitions (what is stored about it). Validated here, once, for
 * the admin API, the registry record in the store and the backfill CLI.
 */

/** Entity and feature names: short, lowercase, safe in store keys and bin maps. */
export const Name = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,47}$/,
    "expected 1-48 lowercase letters, digits or _, starting with a letter",
  );

/** An entity type and the ids that address one instance, e.g. user_category = [user, category]. */
export const EntityDefinition = z.object({
  name: Name,
  /** Names of the key parts, in order; the wire key joins them with "|". */
  keyParts: z.array(Name).min(1).max(4),
  description: z.string().max(500).default(""),
});
export type EntityDefinition = z.infer<typeof EntityDefinition>;

export const ValueType = z.enum(["int", "float", "bool", "string", "string_list", "vector", "map"]);
export type ValueType = z.infer<typeof ValueType>;

/** A feature's value on the wire (vectors are plain number arrays; maps are string -> number). */
export const FeatureValue = z.union([
  z.number(),
  z.boolean(),
  z.string(),
  z.array(z.string()),
  z.array(z.number()),
  z.record(z.string(), z.number()),
]);
export type FeatureValue = z.infer<typeof FeatureValue>;

/**
 * How the stream processor keeps a feature, which decides how it is read
 * (docs/features.md). Batch features and plain stream values are `value`.
 */
export const Storage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("value") }),
  /** Per-region bins of time buckets, summed over the window on read. */
  z.object({
    kind: z.literal("window_count"),
    windowSeconds: z.number().int().positive(),
    bucketSeconds: z.number().int().positive(),
  }),
  /** Per-region bins of forward-decayed sums, decayed to "now" on read. */
  z.object({ kind: z.literal("decayed_sum"), halfLifeSeconds: z.number().int().positive() }),
  /** Per-region bins of forward-decayed scores per key; the top `n` keys are served as a list. */
  z.object({
    kind: z.literal("decayed_top"),
    halfLifeSeconds: z.number().int().positive(),
    n: z.number().int().positive().max(1000),
  }),
  /** Smoothed ratio of two window counts of the same entity: (num + a) / (den + a + b). */
  z.object({
    kind: z.literal("smoothed_ratio"),
    numerator: Name,
    denominator: Name,
    priorSuccesses: z.number().nonnegative(),
    priorFailures: z.number().nonnegative(),
  }),
]);
export type Storage = z.infer<typeof Storage>;

export const FeatureSource = z.enum(["batch", "stream"]);

/** A feature definition as submitted to the admin API (the registry fills `bin` and `version`). */
export const FeatureDefinitionInput = z.object({
  entity: Name,
  name: Name,
  type: ValueType,
  /** Required for `vector`: number of float32 components. */
  dim: z.number().int().positive().max(4096).optional(),
  default: FeatureValue.nullable().default(null),
  /** A value older than this is served as `expired` (the default instead); absent = never. */
  ttlSeconds: z.number().int().positive().optional(),
  source: FeatureSource.default("batch"),
  description: z.string().max(500).default(""),
});
export type FeatureDefinitionInput = z.input<typeof FeatureDefinitionInput>;

/** A stored definition: the input plus its bin (stable for the feature's life) and version. */
export const FeatureDefinition = FeatureDefinitionInput.extend({
  /** The store bin holding it: short, because Aerospike bin names are at most 15 bytes. */
  bin: z.string().regex(/^[a-z][a-z0-9]{0,3}$/),
  storage: Storage.default({ kind: "value" }),
  /** Built in and kept by the stream processor: readable, not editable. */
  system: z.boolean().default(false),
  version: z.number().int().positive(),
  updatedAt: z.number().int().nonnegative(),
});
export type FeatureDefinition = z.infer<typeof FeatureDefinition>;
