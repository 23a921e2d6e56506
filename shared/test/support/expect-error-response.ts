import { expect } from "vitest";
import { ErrorBody } from "../../src/api/errors.js";
import { REQUEST_ID_HEADER } from "../../src/http/request-id.js";

/**
 * Asserts a response is our one error body with the given status and code,
 * carrying the response's request id and no stack trace; `mentions` must
 * appear in the message (e.g. the offending field). Used by edge and origin tests.
 */
export async function expectErrorResponse(
  response: Response,
  status: number,
  code: string,
  mentions?: string,
): Promise<ErrorBody> {
  expect(response.status).toBe(status);
  const body = ErrorBody.parse(await response.json());
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(response.headers.get(REQUEST_ID_HEADER));
  expect(body.error.message).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack traces
  if (mentions) expect(body.error.message).toContain(mentions);
  return body;
}
