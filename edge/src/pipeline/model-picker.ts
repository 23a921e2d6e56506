import { assignArm, compileExperiment } from "#shared/experiments/assign-arm";
import { HotSurfaceExperiment, modelKeyOf } from "#shared/hot/hot-surface-model";
import type { ArmModel, ModelPicker } from "./ports.js";

const NO_EXPERIMENT: ArmModel = { model: "none" };
const noExperiment: ModelPicker = () => NO_EXPERIMENT;

/** One picker per hot entry value the isolate holds: parsed and compiled once, not per request. */
const pickers = new WeakMap<object, ModelPicker>();

/**
 * The picker for a surface's `model` hot entry value (`HotSurfaceModel`):
 * assigns a unit to an arm with the origin's own hash and answers that arm's
 * name and model key, from objects built once. `undefined` for a value of
 * another shape (an entry written by an older origin): the caller treats the
 * key as unknown and caches nothing until the entry is re-read.
 *
 * @example
 * const pick = modelPickerOf((await hot.get("model", "home"))?.value ?? null);
 * pick?.(userId ?? sessionId).model; // "demo@3"
 */
export function modelPickerOf(value: unknown): ModelPicker | undefined {
  if (value === null) return noExperiment;
  if (typeof value !== "object") return undefined;
  let picker = pickers.get(value);
  if (!picker) {
    const parsed = HotSurfaceExperiment.safeParse(value);
    if (!parsed.success) return undefined;
    const experiment = compileExperiment({
      salt: parsed.data.salt,
      arms: parsed.data.arms.map((arm) => ({
        name: arm.name,
        weight: arm.weight,
        choice: { arm: arm.name, model: modelKeyOf(arm.model) } satisfies ArmModel,
      })),
    });
    picker = (unitId) => assignArm(experiment, unitId).choice;
    pickers.set(value, picker);
  }
  return picker;
}
