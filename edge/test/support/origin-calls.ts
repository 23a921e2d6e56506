import { expect, inject } from "vitest";
import { signRequest } from "#shared/security/request-signing";

/**
 * Calls the test origin's admin API as an operator would (bearer token) and
 * expects 200, with the body in the failure message. Returns the response
 * (its body still unread).
 */
export async function originAdmin(method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${inject("originUrl")}/admin${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${inject("originAdminToken")}`,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response;
}

/**
 * POSTs `body` to an internal origin route signed as the edge signs it and
 * expects 200: the ground truth edge tests compare the edge's answers with.
 */
export async function signedOriginPost(path: string, body: unknown): Promise<Response> {
  const text = JSON.stringify(body);
  const headers = await signRequest({
    method: "POST",
    pathWithQuery: path,
    body: text,
    secret: inject("originSigningSecret"),
  });
  const response = await fetch(`${inject("originUrl")}${path}`, {
    method: "POST",
    body: text,
    headers: { ...headers, "content-type": "application/json" },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response;
}
