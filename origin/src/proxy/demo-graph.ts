import type { RetrievalGraphInput } from "#shared/models/graph";

/**
 * A retrieval graph over the demo catalog's features (`seed/`): item facts,
 * the user's history length, user×category affinity (keyed by the item's
 * category) and the item's 24 h CTR and views in the request's region.
 * Used by the demo seed, the rank tests and the bench.
 */
export const DEMO_GRAPH: RetrievalGraphInput = {
  nodes: [
    {
      id: "item",
      entity: "item",
      key: [{ input: "candidate" }],
      features: ["category", "price", "in_stock"],
    },
    { id: "user", entity: "user", key: [{ input: "userId" }], features: ["history_length"] },
    {
      id: "user_category",
      entity: "user_category",
      key: [{ input: "userId" }, { node: "item", feature: "category" }],
    },
    {
      id: "item_region",
      entity: "item_region",
      key: [{ input: "candidate" }, { input: "region" }],
    },
  ],
  columns: [
    { node: "item", feature: "price" },
    { node: "item", feature: "in_stock" },
    { node: "user", feature: "history_length" },
    { node: "user_category", feature: "affinity", default: 0 },
    { node: "item_region", feature: "ctr_24h" },
    { node: "item_region", feature: "views_24h" },
  ],
};
