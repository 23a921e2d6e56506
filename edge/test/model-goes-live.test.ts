import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RecommendationResponse } from "#shared/api/recommendations";
import { originAdmin as admin } from "./support/origin-calls.js";
import { servedFeatures } from "./support/served-features.js";

/**
 * A data scientist's path, end to end through the edge: upload a model with a
 * new retrieval graph through the origin's admin API, bind it to a surface,
 * and the edge's `GET /v1/recommendations` serves the order that model
 * implies; a new version with another graph takes over on activation and
 * the old one comes back on rollback. No code change, no restart: the origin
 * process started by the global setup serves it all.
 */

/** A surface no other edge test configures, so its rules and model are ours. */
const SURFACE = "category";
const MODEL_ID = `e2e-${crypto.randomUUID().slice(0, 8)}`;
/** A price-only graph: the item node and one column. */
const PRICE_GRAPH = {
  nodes: [{ id: "item", entity: "item", key: [{ input: "candidate" }] }],
  columns: [{ node: "item", feature: "price" }],
};
/** A new graph for version 2: price and stock, stock with its own default. */
const PRICE_STOCK_GRAPH = {
  nodes: [{ id: "item", entity: "item", key: [{ input: "candidate" }], features: ["in_stock"] }],
  columns: [
    { node: "item", feature: "price" },
    { node: "item", feature: "in_stock", default: 0 },
  ],
};
/** v1: dearest first (score = price / 1000). */
const DEAR_FIRST = { format: "linear", version: 1, weights: [0.001], bias: 0, link: "identity" };
/** v2: cheapest first, in-stock items lifted (score = -price / 1000 + 0.5 · in_stock). */
const CHEAP_IN_STOCK_FIRST = {
  format: "linear",
  version: 1,
  weights: [-0.001, 0.5],
  bias: 0,
  link: "identity",
};
/**
 * A long list: its top can be items other edge tests' events made trending in
 * this region, which have no price (all score alike); catalogue items below
 * them show the model's separation.
 */
const K = 100;
/** The origin answers within the largest budget on a quiet box; a loaded one may need a retry. */
const ORIGIN_ATTEMPTS = 10;

/** Item prices and stock as the origin serves them (the model's own inputs). */
async function itemFacts(ids: string[]): Promise<Map<string, { price: number; inStock: number }>> {
  const served = await servedFeatures([
    { entity: "item", keys: ids, features: ["price", "in_stock"] },
  ]);
  const rows = served.results[0]?.rows ?? [];
  return new Map(
    rows.map((row) => [
      row.key,
      { price: Math.fround(Number(row.values[0])), inStock: row.values[1] === true ? 1 : 0 },
    ]),
  );
}

/**
 * The edge's answer computed by the origin (not from a cache or a fallback):
 * a fresh item context per call keeps the inference cache out of it.
 */
async function fromOrigin(): Promise<RecommendationResponse> {
  let last: RecommendationResponse | undefined;
  for (let attempt = 0; attempt < ORIGIN_ATTEMPTS; attempt++) {
    const context = `ctx-${crypto.randomUUID()}`;
    const response = await exports.default.fetch(
      `http://edge.test/v1/recommendations?surface=${SURFACE}&k=${K}&itemId=${context}&budgetMs=200`,
    );
    expect(response.status).toBe(200);
    last = RecommendationResponse.parse(await response.json());
    if (last.tier === "origin" && !last.degraded) return last;
  }
  throw new Error(`the origin never answered in time: ${JSON.stringify(last)}`);
}

/** Checks each score is the model's (to float32 precision) and the list is in score order. */
async function expectRankedBy(
  body: RecommendationResponse,
  score: (facts: { price: number; inStock: number }) => number,
): Promise<void> {
  expect(body.items).toHaveLength(K);
  const facts = await itemFacts(body.items.map((i) => i.id));
  const expected = body.items.map((item) => {
    const f = facts.get(item.id);
    if (!f) throw new Error(`no features for ${item.id}`);
    return score(f);
  });
  body.items.forEach((item, i) => {
    expect(item.score).toBeCloseTo(expected[i] as number, 4);
  });
  expect(expected).toEqual([...expected].sort((a, b) => b - a));
  // Not a flat list: the model really separates these items.
  expect(expected[0]).toBeGreaterThan(expected[expected.length - 1] as number);
}

describe("a new model goes live through the admin API (.e2e)", () => {
  it("serves the new model's order through the edge, then a new graph's version, then rolls back", async () => {
    const v1 = await admin("PUT", `/models/${MODEL_ID}`, {
      model: DEAR_FIRST,
      graph: PRICE_GRAPH,
    });
    expect(await v1.json()).toMatchObject({ version: 1, active: 1, columns: ["item.price"] });
    // One arm without a version: the surface follows the model's active version.
    await admin("PUT", `/experiments/${SURFACE}`, {
      experiment: { salt: MODEL_ID, arms: [{ name: "live", modelId: MODEL_ID, weight: 1 }] },
    });

    const dear = await fromOrigin();
    await expectRankedBy(dear, (f) => 0.001 * f.price);

    const v2 = await admin("PUT", `/models/${MODEL_ID}`, {
      model: CHEAP_IN_STOCK_FIRST,
      graph: PRICE_STOCK_GRAPH,
      activate: true,
    });
    expect(await v2.json()).toMatchObject({
      version: 2,
      active: 2,
      columns: ["item.price", "item.in_stock"],
    });
    const cheap = await fromOrigin();
    await expectRankedBy(cheap, (f) => -0.001 * f.price + 0.5 * f.inStock);

    await admin("POST", `/models/${MODEL_ID}/rollback`);
    const back = await fromOrigin();
    await expectRankedBy(back, (f) => 0.001 * f.price);
  });
});
