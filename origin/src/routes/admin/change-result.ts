import { ApiError } from "#shared/http/api-error";
import type { ChangeResult } from "../../features/registry/registry-changes.js";

/** The changed value and the registry version it is in, or the refusal as an `ApiError`. */
export function unwrap<T>(result: ChangeResult<T>): { value: T; registryVersion: number } {
  if (!result.ok) throw new ApiError(result.code, result.message);
  return { value: result.value, registryVersion: result.doc.version };
}
