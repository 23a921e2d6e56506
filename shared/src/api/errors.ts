import { z } from "zod";

/**
 * The closed set of error codes any side of the API may return. Clients switch
 * on `code`, never on `message`; adding a code is a contract change.
 */
export const ErrorCode = z.enum([
  "invalid_request",
  "invalid_parameter",
  "unauthorized",
  "invalid_token",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "origin_unavailable",
  "store_unavailable",
  "queue_unavailable",
  "misconfigured",
  "internal",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** HTTP status for each code; 5xx only for faults that are ours, never the caller's. */
export const errorStatus = {
  invalid_request: 400,
  invalid_parameter: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  origin_unavailable: 503,
  store_unavailable: 503,
  queue_unavailable: 503,
  misconfigured: 500,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

/** The one error body, on both sides. */
export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    requestId: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
