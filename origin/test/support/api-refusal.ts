import { ApiError } from "#shared/http/api-error";

/**
 * The `ApiError` a call is refused with, for tests to check its status, code
 * and message; throws if it succeeds or fails with anything else.
 */
export async function apiRefusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${error}`);
  return error;
}
