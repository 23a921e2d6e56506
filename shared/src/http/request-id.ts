import type { Context, MiddlewareHandler } from "hono";

export const REQUEST_ID_HEADER = "x-request-id";
const VALID_INCOMING_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** Context variables every app of ours carries. */
export type RequestIdVariables = { requestId: string };

/**
 * Gives every request an id: the caller's `x-request-id` when it is sane (so
 * edge and origin logs line up), a fresh UUID otherwise. Echoed on the response.
 */
export const requestId = (): MiddlewareHandler<{ Variables: RequestIdVariables }> => {
  return async (c, next) => {
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const id = incoming && VALID_INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.header(REQUEST_ID_HEADER, id);
    await next();
  };
};

/** The request's id, or a fresh one if the middleware did not run. */
export function requestIdOf(c: Context): string {
  const id: unknown = c.get("requestId");
  return typeof id === "string" ? id : crypto.randomUUID();
}
