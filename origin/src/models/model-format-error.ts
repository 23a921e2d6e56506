import { ApiError } from "#shared/http/api-error";
import type { ModelFormat } from "./model.js";

/**
 * A model file we cannot or will not evaluate. The message names the format,
 * the exact field (with tree and node indexes) and what is wrong, because it
 * is shown as-is to whoever uploaded the model. It is an `ApiError`
 * (`invalid_parameter`, 400), so a route may simply let it propagate.
 */
export class ModelFormatError extends ApiError {
  readonly format: ModelFormat | "unknown";
  /** Dotted path of the offending field, e.g. `learner.gradient_booster.model.trees[3].left_children[7]`. */
  readonly field: string;

  constructor(format: ModelFormat | "unknown", field: string, problem: string) {
    const prefix = format === "unknown" ? "" : `${format} model: `;
    super("invalid_parameter", `${prefix}${field ? `${field}: ` : ""}${problem}`);
    this.name = "ModelFormatError";
    this.format = format;
    this.field = field;
  }
}
