import type { z } from "zod";
import { ApiError } from "#shared/http/api-error";
import { REQUEST_ID_HEADER } from "#shared/http/request-id";
import { signRequest } from "#shared/security/request-signing";
import type { EdgeConfig } from "../config/edge-config.js";

/**
 * Calls the origin's internal API: signs the request, bounds it by a deadline
 * and validates the answer against the shared schema. Any failure (down,
 * late, refused, malformed) becomes `origin_unavailable`; callers decide how
 * to degrade.
 */
export async function callOrigin<S extends z.ZodType>(
  config: EdgeConfig,
  path: string,
  body: unknown,
  schema: S,
  options: { requestId: string; timeoutMs: number },
): Promise<z.infer<S>> {
  const text = JSON.stringify(body);
  const headers = await signRequest({
    method: "POST",
    pathWithQuery: path,
    body: text,
    secret: config.signingSecret,
  });
  let response: Response;
  try {
    response = await fetch(`${config.originUrl}${path}`, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        [REQUEST_ID_HEADER]: options.requestId,
      },
      body: text,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const late =
      error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new ApiError(
      "origin_unavailable",
      late ? `origin did not answer within ${options.timeoutMs} ms` : "origin is unreachable",
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ApiError("origin_unavailable", `origin answered ${response.status}`);
  }
  const parsed = schema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success)
    throw new ApiError("origin_unavailable", "origin answered outside the contract");
  return parsed.data;
}
