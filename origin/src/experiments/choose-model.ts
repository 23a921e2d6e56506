import { armFor, type CompiledExperiment } from "#shared/experiments/assign-arm";
import { ApiError } from "#shared/http/api-error";
import type { ActiveModel, ModelRegistry } from "../models/registry/model-registry.js";

/** The model version that scores one request, and the experiment arm that chose it. */
export interface ModelChoice {
  model: ActiveModel;
  /** The arm's name when the surface's experiment chose the version. */
  arm?: string;
}

/** What the choice reads: the request's ids and the surface's experiment. */
export interface ChoiceInput {
  userId?: string;
  sessionId?: string;
  /** A model the caller asked for; the experiment applies only to arms of this model. */
  modelId?: string;
  experiment: CompiledExperiment | null;
}

/**
 * Picks the model version for a request. With an experiment on the surface
 * the unit's arm decides (user id, else session id; a request with neither
 * gets the first arm, the control); an arm with a version scores with that
 * version, one without follows the model's active version. Without an
 * experiment (or when the caller named a model no arm uses) the named
 * model's active version scores. `null`: no model applies (no experiment,
 * no model named). Unknown models and versions are 404s.
 *
 * @example
 * const choice = await chooseModel(registry, { ...context, experiment: experiments.current(surface) });
 * choice?.model.model.predict(matrix, rows); // choice.arm goes into the response and the log
 */
export async function chooseModel(
  registry: Pick<ModelRegistry, "resolve" | "resolveVersion">,
  input: ChoiceInput,
): Promise<ModelChoice | null> {
  const { experiment } = input;
  const arm = experiment ? (armFor(experiment, input) ?? experiment.arms[0] ?? null) : null;
  if (arm && (input.modelId === undefined || arm.modelId === input.modelId)) {
    const model =
      arm.version === undefined
        ? await registry.resolve(arm.modelId)
        : await registry.resolveVersion(arm.modelId, arm.version);
    if (!model) {
      throw new ApiError("not_found", `experiment arm ${arm.name} names no model ${arm.modelId}`);
    }
    return { model, arm: arm.name };
  }
  if (input.modelId === undefined) return null;
  const model = await registry.resolve(input.modelId);
  if (!model) throw new ApiError("not_found", `no model ${input.modelId}`);
  return { model };
}
