import { z } from "zod";

/**
 * Our own file format for a linear or logistic model:
 * `score = bias + Σ weights[i] · x[i]`, then the `link`. A missing feature
 * (`NaN`) takes its `impute` value (0 when not given), the usual mean/zero
 * imputation a data scientist applied in training.
 *
 * @example
 * { "format": "linear", "version": 1, "weights": [0.4, -1.2], "bias": 0.1, "link": "sigmoid" }
 */
export const LinearModelDocument = z
  .object({
    format: z.literal("linear"),
    version: z.literal(1),
    /** Optional column names, in order, checked against the retrieval graph's columns. */
    featureNames: z.array(z.string().min(1)).optional(),
    weights: z.array(z.number()).min(1).max(100_000),
    bias: z.number().default(0),
    /** `identity` for regression / ranking scores, `sigmoid` for logistic regression. */
    link: z.enum(["identity", "sigmoid"]).default("identity"),
    impute: z.array(z.number()).optional(),
  })
  .strict()
  .superRefine((doc, ctx) => {
    for (const key of ["featureNames", "impute"] as const) {
      const list = doc[key];
      if (list && list.length !== doc.weights.length) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `expected ${doc.weights.length} entries (one per weight), got ${list.length}`,
        });
      }
    }
  });
export type LinearModelDocument = z.infer<typeof LinearModelDocument>;
