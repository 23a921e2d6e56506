import { type FeatureGetRequest, FeatureGetResponse } from "#shared/features/serving";
import { signedOriginPost } from "./origin-calls.js";

/**
 * What the test origin serves for `requests`, asked as the edge would: a
 * signed `POST /internal/features/get` (the ground truth edge tests compare with).
 */
export async function servedFeatures(
  requests: FeatureGetRequest["requests"],
): Promise<FeatureGetResponse> {
  const response = await signedOriginPost("/internal/features/get", { requests });
  return FeatureGetResponse.parse(await response.json());
}
