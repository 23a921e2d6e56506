import type { OriginRecommendationResponse } from "#shared/api/recommendations";
import type { RecordKeys } from "../catalog/record-keys.js";
import type { StorePort } from "../store/port.js";

/** Bins of a popularity record: parallel lists of ids and scores, best first. */
export const POPULAR_BINS = ["items", "scores", "computedAt"] as const;

/**
 * The business lens at its simplest: the region's popularity list, or the
 * global one when the region has none yet. One batched read for both.
 */
export async function popularItems(
  store: StorePort,
  keys: RecordKeys,
  region: string,
  k: number,
): Promise<OriginRecommendationResponse> {
  const [regional, global] = await store.batchGet(
    [keys.popular(region), keys.popular("global")],
    POPULAR_BINS,
  );
  const record = regional ?? global;
  const ids = (record?.bins.items as string[] | undefined) ?? [];
  const scores = (record?.bins.scores as number[] | undefined) ?? [];
  const computedAt = (record?.bins.computedAt as number | undefined) ?? Date.now();
  const items = ids.slice(0, k).map((id, i) => ({ id, score: scores[i] ?? 0 }));
  return { items, lens: "business", computedAt };
}
