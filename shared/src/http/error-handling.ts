import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../api/errors.js";
import { ConfigError } from "../config/parse-env.js";
import { ApiError, errorResponseBody } from "./api-error.js";
import { requestIdOf } from "./request-id.js";

/** Maps Hono's own HTTP exceptions (e.g. a body limit) onto our codes. */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 405) return "method_not_allowed";
  if (status === 413) return "payload_too_large";
  if (status === 415) return "unsupported_media_type";
  if (status === 429) return "rate_limited";
  if (status >= 400 && status < 500) return "invalid_request";
  return "internal";
}

/**
 * Installs the one error model on an app: `ApiError` becomes its code and
 * status, unknown routes `not_found`, anything unexpected `internal` with a
 * generic message (the cause goes to `report`, never to the caller).
 */
export function installErrorHandling(
  // biome-ignore lint/suspicious/noExplicitAny: works for apps with any Env (edge bindings or none).
  app: Hono<any>,
  report: (error: unknown, c: Context) => void = () => {},
): void {
  app.notFound((c) =>
    c.json(
      errorResponseBody("not_found", `no route for ${c.req.method} ${c.req.path}`, requestIdOf(c)),
      404,
    ),
  );
  app.onError((error, c) => {
    const requestId = requestIdOf(c);
    if (error instanceof ApiError) {
      return c.json(errorResponseBody(error.code, error.message, requestId), error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const code = codeForStatus(error.status);
      return c.json(
        errorResponseBody(code, error.message || code.replaceAll("_", " "), requestId),
        error.status as ContentfulStatusCode,
      );
    }
    report(error, c);
    if (error instanceof ConfigError) {
      // Names the bad variables (never their secret values), so the operator can fix the deployment.
      return c.json(errorResponseBody("misconfigured", error.message, requestId), 500);
    }
    return c.json(errorResponseBody("internal", "internal error", requestId), 500);
  });
}
