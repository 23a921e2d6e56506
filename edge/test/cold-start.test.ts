import {
  createExecutionContext,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RecommendationResponse } from "#shared/api/recommendations";
import type { EdgeBindings } from "../src/env.js";
import worker from "../src/index.js";

/**
 * "Never without an answer", from the very first request: a region the edge
 * has never served (its own hot-layer memory, region store, pool and
 * inference cache all empty) answers its first shopper with items while the
 * origin is up, within the default budget.
 */

/** A region nobody asked about yet: every per-region state of the edge starts empty. */
const newRegion = () => `c-${crypto.randomUUID().slice(0, 8)}`;

async function firstAnswer(
  region: string,
  query: string,
  bindings: Partial<EdgeBindings> = {},
): Promise<RecommendationResponse> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://edge.test/v1/recommendations?${query}`),
    { ...env, ...bindings, REGION: region } as EdgeBindings,
    ctx,
  );
  expect(response.status).toBe(200);
  const body = RecommendationResponse.parse(await response.json());
  // What the request left running (hot loads) finishes before the next region starts cold.
  await waitOnExecutionContext(ctx);
  return body;
}

describe("a brand-new region's first request (.cold-start)", () => {
  it.each([
    ["surface=home", 10],
    ["surface=pdp&itemId=i00042&k=5", 5],
    ["surface=category&k=20", 20],
  ])("answers ?%s with a full list (%i items), not an empty one", async (query, k) => {
    const region = newRegion();
    const body = await firstAnswer(region, query);
    expect(body.region).toBe(region);
    expect(body.items).toHaveLength(k);
    expect(new Set(body.items.map((item) => item.id)).size).toBe(k);
  });

  it("with the origin down too, answers 200 with an empty degraded list (nothing was ever held)", async () => {
    const region = newRegion();
    const down = { ORIGIN_URL: "http://127.0.0.1:9" };
    // The region's store pulls with its own bindings: point them at the closed port too.
    const hot = (env as unknown as EdgeBindings).HOT_STORE;
    await runInDurableObject(hot.get(hot.idFromName(region)), (instance) => {
      const store = instance as unknown as { env: EdgeBindings };
      store.env = { ...store.env, ...down };
    });
    const body = await firstAnswer(region, "surface=home", down);
    expect(body).toMatchObject({ items: [], degraded: true, tier: "edge", lens: "business" });
  });
});
