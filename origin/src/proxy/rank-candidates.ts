import type { RankRequest, RankResponse } from "#shared/api/rank";
import type { CompiledExperiment } from "#shared/experiments/assign-arm";
import { ApiError } from "#shared/http/api-error";
import { chooseModel, type ModelChoice } from "../experiments/choose-model.js";
import type { FeatureLog } from "../features/logging/feature-log.js";
import type { ModelRegistry } from "../models/registry/model-registry.js";
import { StoreError } from "../store/port.js";
import { type BusinessRulesHook, noBusinessRules } from "./business-rules-hook.js";
import { executeGraph, type FeatureSource } from "./execute-graph.js";
import { rankByScore } from "./rank-by-score.js";

export interface RankDeps {
  models: Pick<ModelRegistry, "resolve" | "resolveVersion" | "planFor">;
  features: FeatureSource;
  log?: FeatureLog;
  rules?: BusinessRulesHook;
  /** The surface's experiment (`ExperimentsStore.current`); absent = no experiments. */
  experiments?: { current(surface: string): CompiledExperiment | null };
  onStoreError?: (error: StoreError) => void;
}

/** Entity name the served matrix is logged under: one row per candidate item. */
const LOG_ENTITY = "rank";

/**
 * One re-rank: the model version the surface's experiment assigns (or the
 * named model's active version) → its retrieval graph (batched feature
 * reads) → `model.predict` on the matrix → business rules → the list, best
 * first. Unknown model or version: 404; a graph the registry no longer
 * satisfies: 409; the store failing: 503.
 */
export async function rankCandidates(
  deps: RankDeps,
  request: RankRequest,
  requestId: string,
): Promise<RankResponse> {
  const { context } = request;
  const choice = await chooseModel(deps.models, {
    userId: context.userId,
    sessionId: context.sessionId,
    modelId: request.modelId,
    experiment: deps.experiments?.current(context.surface) ?? null,
  }).catch(storeDown(deps));
  if (!choice) {
    throw new ApiError("not_found", `no modelId given and surface ${context.surface} has no model`);
  }
  return rankWith(deps, choice, request, requestId);
}

/** {@link rankCandidates} once the model version is chosen (the recommendations ladder chooses first). */
export async function rankWith(
  deps: RankDeps,
  choice: ModelChoice,
  request: Omit<RankRequest, "modelId">,
  requestId: string,
): Promise<RankResponse> {
  const started = performance.now();
  const active = choice.model;
  const plan = deps.models.planFor(active);
  const graph = await executeGraph(plan, deps.features, request.candidates, request.context).catch(
    storeDown(deps),
  );
  const fetched = performance.now();
  const scores = active.model.predict(graph.matrix, graph.rows);
  const scored = performance.now();

  const ranked = rankByScore(request.candidates, scores, graph.rows);
  const rules = deps.rules ?? noBusinessRules;
  const items = await Promise.resolve(
    rules(ranked, { ...request.context, modelId: active.id }),
  ).catch(storeDown(deps));

  deps.log?.logMatrix(
    { modelId: active.id, modelVersion: String(active.version), requestId, arm: choice.arm },
    { entity: LOG_ENTITY, keys: request.candidates, features: graph.columns, values: graph.matrix },
  );
  const response: RankResponse = {
    requestId,
    modelId: active.id,
    modelVersion: active.version,
    ...(choice.arm === undefined ? {} : { arm: choice.arm }),
    items,
    timing: {
      graphMs: fetched - started,
      scoringMs: scored - fetched,
      totalMs: performance.now() - started,
    },
  };
  if (request.debug) {
    const width = graph.columns.length;
    response.debug = {
      columns: [...graph.columns],
      rows: Array.from({ length: graph.rows }, (_, r) =>
        Array.from(graph.matrix.subarray(r * width, (r + 1) * width), (v) =>
          Number.isNaN(v) ? null : v,
        ),
      ),
      status: graph.status,
      reads: graph.reads,
    };
  }
  return response;
}

export function storeDown(deps: Pick<RankDeps, "onStoreError">) {
  return (error: unknown): never => {
    // The store being slow or down is ours, not the caller's: 503, and the edge falls back.
    if (error instanceof StoreError) {
      deps.onStoreError?.(error);
      throw new ApiError("store_unavailable", "feature store is unavailable");
    }
    throw error;
  };
}
