import { ApiError } from "#shared/http/api-error";
import type { OriginDeps } from "../../app.js";
import type { ModelRegistry } from "./model-registry.js";

/** The process's model registry, or 404 when this origin runs without one. */
export function modelsOf(deps: OriginDeps): ModelRegistry {
  if (!deps.models) throw new ApiError("not_found", "this origin has no model registry");
  return deps.models;
}
