import { signRequest } from "#shared/security/request-signing";

/** POSTs `body` to the origin's internal API, signed as the edge signs it. */
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
