import type { RankedItem } from "#shared/api/rank";
import type {
  Lens,
  OriginRecommendationRequest,
  OriginRecommendationResponse,
  OriginRecommendedItem,
} from "#shared/api/recommendations";
import { MAX_ORIGIN_CANDIDATES } from "#shared/api/recommendations";
import type { CompiledExperiment } from "#shared/experiments/assign-arm";
import { ApiError } from "#shared/http/api-error";
import { chooseModel, type ModelChoice } from "../experiments/choose-model.js";
import type { Logger } from "../logger.js";
import type { BusinessRulesHook } from "../proxy/business-rules-hook.js";
import { type RankDeps, rankWith, storeDown } from "../proxy/rank-candidates.js";
import { buildLadderPool, LENS_ORDER, type PoolEntry } from "./ladder-pool.js";
import { readLadderSignals, type SignalDeps } from "./ladder-signals.js";

/** Candidates the model scores per k asked: room for rules to filter and still fill the page. */
const POOL_PER_ITEM = 3;
/** A small page still gives the model a real choice. */
export const MIN_POOL = 50;

export interface RecommendDeps extends SignalDeps {
  /** Absent: this origin has no model registry; the ladder's own order answers. */
  rank?: Omit<RankDeps, "rules" | "experiments">;
  rules: BusinessRulesHook;
  experiments: { current(surface: string): CompiledExperiment | null };
  logger?: Logger;
}

/**
 * `POST /internal/recommendations`: the fallback ladder. Builds a candidate
 * pool from the most personal signals available (edge candidates, session,
 * history, then regional and global business lists), ranks it with the
 * surface's model when it has one (graph → model → rules) or else keeps the
 * ladder's order and applies the surface's rules, and fills the list to k.
 * `lens` is the most personal step that put an item in the answer.
 */
export async function recommend(
  deps: RecommendDeps,
  request: OriginRecommendationRequest,
  requestId: string,
): Promise<OriginRecommendationResponse> {
  if (request.candidates && new Set(request.candidates).size !== request.candidates.length) {
    throw new ApiError("invalid_parameter", "candidates: candidate ids must be unique");
  }
  const onStoreError = storeDown({ onStoreError: deps.rank?.onStoreError });
  const [signals, choice] = await Promise.all([
    readLadderSignals(deps, request).catch(onStoreError),
    deps.rank ? chooseSurfaceModel(deps, request).catch(onStoreError) : Promise.resolve(null),
  ]);
  // The edge's candidates are the pool (the ladder only tops up a list shorter than k).
  const size = request.candidates
    ? Math.max(request.candidates.length, request.k)
    : Math.min(MAX_ORIGIN_CANDIDATES, Math.max(request.k * POOL_PER_ITEM, MIN_POOL));
  const pool = buildLadderPool(signals, {
    size,
    region: request.region,
    candidates: request.candidates,
  });
  const byId = new Map(pool.map((entry) => [entry.id, entry]));
  const context = {
    userId: request.userId,
    sessionId: request.sessionId,
    region: request.region,
    surface: request.surface,
  };

  let ranked: RankedItem[] | null = null;
  let scoredBy: ModelChoice | null = null;
  if (choice && deps.rank && pool.length > 0) {
    const candidates = pool.map((entry) => entry.id);
    ranked = await rankWith(
      { ...deps.rank, rules: deps.rules },
      choice,
      { candidates, context },
      requestId,
    ).then(
      (response) => {
        scoredBy = choice;
        return response.items;
      },
      (error: unknown) => {
        if (!(error instanceof ApiError) || error.code !== "conflict") throw error;
        // A graph the feature registry no longer satisfies: answer from the ladder, say so in the log.
        deps.logger?.warn({ err: error }, "surface model cannot rank; serving the ladder's order");
        return null;
      },
    );
  }
  if (!ranked) {
    const heuristic = pool.map((entry, i) => ({
      id: entry.id,
      score: (pool.length - i) / pool.length,
      reason: entry.reason,
    }));
    ranked = await Promise.resolve(deps.rules(heuristic, { ...context, modelId: "" })).catch(
      onStoreError,
    );
  }

  const items = topK(ranked, byId, request.k);
  const response: OriginRecommendationResponse = {
    items,
    lens: lensOf(items, byId),
    // A list made only from a popularity list is as old as that list; anything else is live data.
    computedAt: items.every((item) => byId.get(item.id)?.precomputed)
      ? Math.min(signals.computedAt, Date.now())
      : Date.now(),
  };
  if (scoredBy) {
    const { model, arm } = scoredBy as ModelChoice;
    response.model = { id: model.id, version: model.version };
    if (arm !== undefined) response.arm = arm;
  }
  return response;
}

/** The surface's model for this request (experiment arm or none); a broken arm degrades, not fails. */
async function chooseSurfaceModel(
  deps: RecommendDeps,
  request: OriginRecommendationRequest,
): Promise<ModelChoice | null> {
  const experiment = deps.experiments.current(request.surface);
  if (!experiment || !deps.rank) return null;
  try {
    return await chooseModel(deps.rank.models, {
      userId: request.userId,
      // The edge withholds a new visitor's session (a shared list) but still names their unit.
      sessionId: request.sessionId ?? request.experimentUnit,
      experiment,
    });
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "not_found") throw error;
    deps.logger?.warn(
      { err: error },
      "surface experiment names a missing model; serving the ladder",
    );
    return null;
  }
}

/**
 * The top k of the ranked list, each reason prefixed by the ladder step that
 * found the item. The pool holds at least 3k candidates, so rules that
 * filter some still leave a full page unless the pool itself was short.
 */
function topK(
  ranked: readonly RankedItem[],
  byId: ReadonlyMap<string, PoolEntry>,
  k: number,
): OriginRecommendedItem[] {
  return ranked.slice(0, k).map((item) => {
    const step = byId.get(item.id)?.reason;
    const reason = step && item.reason !== step ? `${step}; ${item.reason}` : item.reason;
    return { id: item.id, score: item.score, reason };
  });
}

function lensOf(
  items: readonly OriginRecommendedItem[],
  byId: ReadonlyMap<string, PoolEntry>,
): Lens {
  let best = LENS_ORDER.length - 1;
  for (const item of items) {
    const lens = byId.get(item.id)?.lens;
    if (lens !== undefined) best = Math.min(best, LENS_ORDER.indexOf(lens));
  }
  return LENS_ORDER[best] as Lens;
}
