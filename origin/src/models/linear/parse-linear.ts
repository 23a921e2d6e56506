import { describeZodIssues } from "#shared/http/api-error";
import { LinearModelDocument } from "#shared/models/linear-model";
import { ModelFormatError } from "../model-format-error.js";

/** Validates a linear model document; the zod issues name each bad field. */
export function parseLinear(doc: unknown): LinearModelDocument {
  const result = LinearModelDocument.safeParse(doc);
  if (!result.success) {
    throw new ModelFormatError("linear-json", "", describeZodIssues(result.error));
  }
  return result.data;
}
