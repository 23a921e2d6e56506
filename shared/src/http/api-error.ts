import type { z } from "zod";
import { type ErrorBody, type ErrorCode, errorStatus } from "../api/errors.js";

/**
 * An expected failure with a stable code. Thrown from handlers and turned into
 * the one error body by {@link errorResponseBody}; anything else that is thrown
 * is a bug and becomes `internal` with no details leaked.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: (typeof errorStatus)[ErrorCode];

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = errorStatus[code];
  }
}

/** Builds the one error body; the only place it is shaped. */
export function errorResponseBody(code: ErrorCode, message: string, requestId: string): ErrorBody {
  return { error: { code, message, requestId } };
}

/**
 * Names every offending field, e.g. `k: Too big: expected number to be <=100`,
 * so a caller can fix the request without reading our code.
 */
export function describeZodIssues(error: z.ZodError, prefix = ""): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
      return `${path || "(root)"}: ${issue.message}`;
    })
    .join("; ");
}

/**
 * Parses `input` with `schema` or throws a 400 `invalid_parameter` naming the fields.
 *
 * @example
 * const query = parseOrThrow(RecommendationQuery, c.req.query());
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: ErrorCode = "invalid_parameter",
): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ApiError(code, describeZodIssues(result.error));
  return result.data;
}
