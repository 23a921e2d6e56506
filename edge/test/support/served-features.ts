import { expect, inject } from "vitest";
import { type FeatureGetRequest, FeatureGetResponse } from "#shared/features/serving";
import { signRequest } from "#shared/security/request-signing";

/**
 * What the test origin serves for `requests`, asked as the edge would: a
 * signed `POST /internal/features/get` (the ground truth edge tests compare with).
 */
export async function servedFeatures(
  requests: FeatureGetRequest["requests"],
): Promise<FeatureGetResponse> {
  const path = "/internal/features/get";
  const body = JSON.stringify({ requests });
  const headers = await signRequest({
    method: "POST",
    pathWithQuery: path,
    body,
    secret: inject("originSigningSecret"),
  });
  const response = await fetch(`${inject("originUrl")}${path}`, {
    method: "POST",
    body,
    headers: { ...headers, "content-type": "application/json" },
  });
  expect(response.status).toBe(200);
  return FeatureGetResponse.parse(await response.json());
}
