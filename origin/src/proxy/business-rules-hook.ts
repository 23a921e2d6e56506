import type { RankedItem } from "#shared/api/rank";
import type { GraphContext } from "./execute-graph.js";

/**
 * Where business rules apply to a scored list (after the model, before the
 * answer): filters, boosts, pins and caps that may reorder items and
 * rewrite their reasons. The rules engine (`origin/src/rules/applyRules`)
 * plugs in here; until it is wired the list passes through unchanged.
 */
export type BusinessRulesHook = (
  ranked: RankedItem[],
  context: GraphContext & { modelId: string },
) => RankedItem[] | Promise<RankedItem[]>;

/** The pass-through hook: the model's order is the answer. */
export const noBusinessRules: BusinessRulesHook = (ranked) => ranked;
