import { z } from "zod";
import { ExperimentArm } from "../experiments/experiment-config.js";

/**
 * The value of a surface's `model` hot entry: every arm of the surface's
 * experiment with its weight and the model version it scores with, resolved
 * at the origin. The edge assigns the shopper's arm with the same hash the
 * origin uses (`shared/src/experiments/assign-arm.ts`) and keys its
 * inference cache by that arm's model, so shoppers on different arms never
 * share an entry and a new version of one arm moves only its shoppers' keys.
 */

/** A model version as the registry resolved it (`demo@3` in cache keys). */
export const HotModelRef = z.object({
  id: z.string().min(1),
  version: z.number().int().positive(),
});
export type HotModelRef = z.infer<typeof HotModelRef>;

export const HotArm = z.object({
  name: ExperimentArm.shape.name,
  weight: ExperimentArm.shape.weight,
  /** `null`: the arm names a model or version the registry does not hold (the origin ranks without one). */
  model: HotModelRef.nullable(),
});
export type HotArm = z.infer<typeof HotArm>;

export const HotSurfaceExperiment = z.object({
  /** The experiment's hash salt: with the weights, it decides every unit's arm. */
  salt: z.string().min(1),
  /** In the experiment's order: the order is part of the assignment (cumulative weights). */
  arms: z.array(HotArm).min(1),
});
export type HotSurfaceExperiment = z.infer<typeof HotSurfaceExperiment>;

/** A `model` entry's value; `null` = the surface has no experiment (the origin ranks heuristically). */
export const HotSurfaceModel = HotSurfaceExperiment.nullable();
export type HotSurfaceModel = z.infer<typeof HotSurfaceModel>;

/** `id@version`, or `none`: how a model goes into an inference-cache key. */
export function modelKeyOf(model: HotModelRef | null | undefined): string {
  return model ? `${model.id}@${model.version}` : "none";
}
