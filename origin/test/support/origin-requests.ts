import { signRequest } from "#shared/security/request-signing";

/**
 * POSTs `body` to the origin's internal API, signed as the edge signs it.
 * A string body goes as it is (for malformed-JSON tests), anything else as JSON.
 */
export async function signedPost(
  baseUrl: string,
  path: string,
  body: unknown,
  secret: string,
): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const headers = await signRequest({ method: "POST", pathWithQuery: path, body: text, secret });
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    body: text,
    headers: { ...headers, "content-type": "application/json" },
  });
}

/**
 * A request to the origin's admin API (`/admin<path>`) with `token` as the
 * bearer credential, or none when it is `null`. A string body goes as it is
 * (for malformed-JSON tests), anything else as JSON.
 */
export function adminRequest(
  baseUrl: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${baseUrl}/admin${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}
