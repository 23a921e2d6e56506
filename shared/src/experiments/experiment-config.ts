import { z } from "zod";

/**
 * A traffic split of one surface between model versions
 * (`PUT /admin/experiments/:surface`). Units (user id, else session id) are
 * assigned by a deterministic hash of `salt` and the unit id into weight
 * buckets, so a unit keeps its arm while weights and salt are unchanged.
 */

/** A handful of arms is an experiment; more splits traffic too thin to learn from. */
export const MAX_ARMS = 20;

export const ExperimentArm = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[A-Za-z0-9_.-]+$/, "expected letters, digits, _ . -"),
  modelId: z.string().min(1).max(128),
  /**
   * The model version this arm scores with; omitted, the arm follows the
   * model's active version (so a one-arm "experiment" binds a surface to a
   * model, and activation or rollback in the registry moves it).
   */
  version: z.number().int().min(1).optional(),
  /** Relative share of traffic (integers, e.g. 90 and 10). */
  weight: z.number().int().positive(),
});
export type ExperimentArm = z.infer<typeof ExperimentArm>;

export const ExperimentConfig = z
  .strictObject({
    arms: z.array(ExperimentArm).min(1).max(MAX_ARMS),
    /** Changing the salt reshuffles every unit (a new experiment on the same surface). */
    salt: z.string().min(1).max(128),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.arms.forEach((arm, index) => {
      const first = seen.get(arm.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          message: `duplicate arm name "${arm.name}" (also arm ${first})`,
          path: ["arms", index, "name"],
        });
      }
      seen.set(arm.name, index);
    });
  });
export type ExperimentConfig = z.infer<typeof ExperimentConfig>;

/** The body of `PUT /admin/experiments/:surface`. */
export const ExperimentPutRequest = z.strictObject({
  experiment: ExperimentConfig,
  /** Optimistic concurrency: refuse (409) unless the stored version is this one (0 = none yet). */
  expectVersion: z.number().int().min(0).optional(),
});
export type ExperimentPutRequest = z.infer<typeof ExperimentPutRequest>;

/** What the store holds per surface and `GET /admin/experiments/:surface` answers. */
export const ExperimentDocument = z.object({
  surface: z.string(),
  version: z.number().int().min(0),
  updatedAt: z.number().int().min(0),
  experiment: ExperimentConfig,
});
export type ExperimentDocument = z.infer<typeof ExperimentDocument>;
