import type { Lens, OriginRecommendationResponse, Surface } from "#shared/api/recommendations";

/** The session's recent actions at the edge (read-your-writes); version 0 = no events yet. */
export interface SessionView {
  version: number;
  recentItems: string[];
  recentCategories: string[];
  updatedAt: number;
}

/** A candidate the edge retrieved, with where it came from (for the lens) and its edge score. */
export interface EdgeCandidate {
  id: string;
  score: number;
  sources: readonly string[];
}

export interface RetrievalInput {
  surface: Surface;
  region: string;
  userId?: string;
  itemId?: string;
  session: SessionView;
  /** How many candidates to hand to the re-rank. */
  limit: number;
  /** How long a source that is still loading may be waited for before retrieval goes on without it. */
  waitMs: number;
  /** Keeps a load retrieval stopped waiting for alive past the response (the request's waitUntil). */
  keepAlive?: (promise: Promise<unknown>) => void;
}

export interface RetrievalOutput {
  candidates: EdgeCandidate[];
  /** Epoch ms of the oldest hot data behind the candidates (for `ageMs`). */
  computedAt: number;
}

/** Body of the origin re-rank call (the shared origin contract plus what the edge retrieved). */
export interface RerankInput {
  surface: Surface;
  k: number;
  region: string;
  sessionId?: string;
  /** The unit the experiment assigns by when no session is sent (a new visitor's shared list). */
  experimentUnit?: string;
  userId?: string;
  itemId?: string;
  candidates?: string[];
  recentItems?: string[];
}

/** A region's trending list as the hot layer holds it. */
export interface TrendingList {
  items: string[];
  scores: number[];
  updatedAt: number;
}

/** The arm a shopper falls in on a surface, and the model it scores with. */
export interface ArmModel {
  /** The experiment arm's name; absent when the surface has no experiment. */
  arm?: string;
  /** `id@version` of the arm's model, or `none`: part of the inference-cache key. */
  model: string;
}

/** The arm of a unit (the user id, else the session id) under the surface's current experiment. */
export type ModelPicker = (unitId: string) => ArmModel;

/**
 * What the pipeline needs from the rest of the edge. One real implementation
 * (`edgePorts`) over the hot layer, session DO, retrieval and the origin;
 * tests inject their own to drive each branch of the fallback ladder.
 */
export interface PipelinePorts {
  readSession(sessionId: string): Promise<SessionView>;
  /**
   * The surface's experiment as the hot layer holds it, as a picker: the
   * shopper's arm decides the model, and so the cache key.
   */
  modelsOf(surface: Surface): Promise<ModelPicker>;
  /**
   * The same picker without waiting, when isolate memory holds the surface's
   * experiment fresh; `undefined` otherwise (then `modelsOf`). Spares a
   * cache hit the read's promise chain and its deadline timer.
   */
  modelsNow?(surface: Surface): ModelPicker | undefined;
  retrieve(input: RetrievalInput): Promise<RetrievalOutput>;
  /** The region's trending list from the hot layer: the last rung of the ladder. */
  trending(region: string): Promise<TrendingList | undefined>;
  /**
   * The region's trending list the isolate holds, however old, without
   * waiting: what the last rung serves when the read above was late.
   */
  trendingHeld?(region: string): TrendingList | undefined;
  rerank(
    input: RerankInput,
    options: { requestId: string; timeoutMs: number },
  ): Promise<OriginRecommendationResponse>;
}

/** Which lens a retrieval source belongs to (user request, user context, business context). */
export function lensOfSources(sources: readonly string[]): Lens {
  if (sources.some((s) => s === "covisit" || s === "session" || s === "item")) return "request";
  if (sources.some((s) => s === "user" || s === "embedding" || s === "vector")) return "user";
  return "business";
}
