import { z } from "zod";
import { GraphPlanView } from "./graph.js";

/** Model ids appear in store keys and URLs: short, lowercase, safe. */
export const ModelId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected 1-64 lowercase letters, digits, _ or -");

export const ModelFormatName = z.enum(["xgboost-json", "lightgbm-text", "linear-json"]);

/** `PUT /admin/models/:id`: a new version (the model file and its retrieval graph). */
export const ModelUploadRequest = z
  .object({
    format: ModelFormatName.optional(),
    /** XGBoost or linear JSON as an object (or its text); LightGBM as its text. */
    model: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    graph: z.unknown(),
    /** Serve this version at once; the first version of a model is always activated. */
    activate: z.boolean().optional(),
  })
  .strict();
export type ModelUploadRequest = z.infer<typeof ModelUploadRequest>;

export const ModelActivateRequest = z.object({ version: z.number().int().positive() }).strict();

/** What the head record says about one version (the file itself lives in its own record). */
export const ModelVersionSummary = z.object({
  version: z.number().int().positive(),
  format: ModelFormatName,
  objective: z.string(),
  numFeatures: z.number().int().nonnegative(),
  numTrees: z.number().int().nonnegative(),
  columns: z.array(z.string()),
  createdAt: z.number().int(),
});
export type ModelVersionSummary = z.infer<typeof ModelVersionSummary>;

export const ModelHistoryEntry = z.object({
  version: z.number().int().positive(),
  action: z.enum(["activate", "rollback"]),
  at: z.number().int(),
});

/** The per-model head record: versions, the active one and how it came to be active. */
export const ModelHead = z.object({
  id: ModelId,
  active: z.number().int().positive(),
  versions: z.array(ModelVersionSummary),
  /** Activations, oldest first; rollback returns to the one before the last. */
  history: z.array(ModelHistoryEntry),
});
export type ModelHead = z.infer<typeof ModelHead>;

export const ModelUploadResponse = z.object({
  id: ModelId,
  version: z.number().int().positive(),
  active: z.number().int().positive(),
  columns: z.array(z.string()),
});

export const ModelGetResponse = ModelHead.extend({
  /** The active version's graph compiled against the current feature registry. */
  plan: GraphPlanView.nullable(),
  /** Why the active graph does not compile any more (a feature was removed), else absent. */
  planError: z.string().optional(),
});
export type ModelGetResponse = z.infer<typeof ModelGetResponse>;
