import { OriginRecommendationResponse } from "#shared/api/recommendations";
import type { EdgeConfig } from "../config/edge-config.js";
import type { RerankInput } from "../pipeline/ports.js";
import { callOrigin } from "./origin-client.js";

/**
 * The origin's re-rank of the edge's candidates (`POST /internal/recommendations`,
 * signed), bounded by the time the request has left. Without candidates the
 * origin answers from its own lists.
 */
export function rerankAtOrigin(
  config: EdgeConfig,
  input: RerankInput,
  options: { requestId: string; timeoutMs: number },
): Promise<OriginRecommendationResponse> {
  return callOrigin(
    config,
    "/internal/recommendations",
    input,
    OriginRecommendationResponse,
    options,
  );
}
