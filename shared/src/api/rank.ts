import { z } from "zod";
import { ModelId } from "../models/registry.js";
import { Surface } from "./recommendations.js";

/** Largest re-rank: one batched read per entity and one scoring call, as the feature server allows. */
export const MAX_RANK_CANDIDATES = 1_000;

/** Ids become store keys: no "|" (the key-part separator), bounded length. */
const Id = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^|]+$/, 'must not contain "|"');

/** `POST /internal/rank` (signed). */
export const RankRequest = z
  .object({
    /** Omitted: the surface's model, as its experiment assigns (404 if the surface has none). */
    modelId: ModelId.optional(),
    candidates: z
      .array(Id)
      .min(1)
      .max(MAX_RANK_CANDIDATES)
      .refine((ids) => new Set(ids).size === ids.length, "candidate ids must be unique"),
    context: z
      .object({
        userId: Id.optional(),
        sessionId: Id.optional(),
        region: z.string().min(1).max(32),
        surface: Surface,
      })
      .strict(),
    /** Adds the feature matrix and per-column status counts to the answer. */
    debug: z.boolean().optional(),
  })
  .strict();
export type RankRequest = z.infer<typeof RankRequest>;

export const RankedItem = z.object({
  id: z.string(),
  score: z.number(),
  /** Short and human-readable: why the item is where it is. */
  reason: z.string(),
});
export type RankedItem = z.infer<typeof RankedItem>;

export const ColumnStatus = z.object({
  present: z.number().int(),
  default: z.number().int(),
  expired: z.number().int(),
  missing: z.number().int(),
});

export const RankResponse = z.object({
  requestId: z.string(),
  modelId: ModelId,
  modelVersion: z.number().int().positive(),
  /** The experiment arm that chose the model version, when the surface runs one. */
  arm: z.string().optional(),
  items: z.array(RankedItem),
  timing: z.object({ graphMs: z.number(), scoringMs: z.number(), totalMs: z.number() }),
  debug: z
    .object({
      columns: z.array(z.string()),
      /** One per candidate in request order; `null` where the value was missing (NaN). */
      rows: z.array(z.array(z.number().nullable())),
      status: z.array(ColumnStatus),
      /** Batched feature reads issued (one per graph level). */
      reads: z.number().int(),
    })
    .optional(),
});
export type RankResponse = z.infer<typeof RankResponse>;
