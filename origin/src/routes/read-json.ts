import type { Context } from "hono";
import { ApiError } from "#shared/http/api-error";

/** The request body as JSON, or a 400 `invalid_request` (never a 500 on a bad body). */
export async function readJson(c: Context): Promise<unknown> {
  const raw = await c.req.text();
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiError("invalid_request", "body must be JSON");
  }
}
