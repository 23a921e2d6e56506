import type { ModelRegistry } from "../models/registry/model-registry.js";
import { DEMO_GRAPH } from "../proxy/demo-graph.js";

/** The demo ranker's id: `POST /internal/rank { modelId: "demo", ... }` works on a fresh demo origin. */
export const DEMO_MODEL_ID = "demo";

/**
 * A hand-set logistic model over `DEMO_GRAPH`'s columns (price, in_stock,
 * history_length, user×category affinity, ctr_24h, views_24h): cheaper,
 * in-stock items the user's categories favour, with a click history, rank
 * first. Weights are illustrative, not trained.
 */
const DEMO_MODEL = {
  format: "linear",
  version: 1,
  weights: [-0.0005, 1, 0, 3, 20, 0.01],
  bias: -1,
  link: "sigmoid",
  featureNames: ["price", "in_stock", "history_length", "affinity", "ctr_24h", "views_24h"],
};

/** Registers the demo model once (a store that already has it keeps its versions). */
export async function seedDemoModel(models: ModelRegistry): Promise<boolean> {
  if (await models.head(DEMO_MODEL_ID)) return false;
  await models.upload(DEMO_MODEL_ID, { model: DEMO_MODEL, graph: DEMO_GRAPH });
  return true;
}
