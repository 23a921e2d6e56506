import type { RecommendationResponse, RecommendedItem } from "#shared/api/recommendations";

/**
 * A cached list's `items` as JSON, serialised once per list: a cache hit
 * hands back the same items array every time, so its text is kept beside it
 * (weakly: it goes when the inference cache drops the list) instead of
 * mapping and stringifying the items on every hit.
 */
const itemsJson = new WeakMap<readonly RecommendedItem[], string>();

function itemsText(items: readonly RecommendedItem[]): string {
  let text = itemsJson.get(items);
  if (text === undefined) {
    // Only the contract's fields: an origin item also carries its `reason`, which is not for browsers.
    text = JSON.stringify(items.map(({ id, score }) => ({ id, score })));
    itemsJson.set(items, text);
  }
  return text;
}

/**
 * The body of `GET /v1/recommendations`, byte for byte what
 * `JSON.stringify(response)` gives (same fields, same order), with the
 * items' text reused per cached list.
 *
 * @example
 * return c.body(recommendationJson({ requestId, surface, … }, result.items), 200, JSON_HEADERS);
 */
export function recommendationJson(
  response: Omit<RecommendationResponse, "items">,
  items: readonly RecommendedItem[],
): string {
  return (
    `{"requestId":${JSON.stringify(response.requestId)},"surface":${JSON.stringify(response.surface)},` +
    `"region":${JSON.stringify(response.region)},"items":${itemsText(items)},` +
    `"lens":${JSON.stringify(response.lens)},"tier":${JSON.stringify(response.tier)},` +
    `"stale":${response.stale},"ageMs":${response.ageMs},"degraded":${response.degraded}}`
  );
}
