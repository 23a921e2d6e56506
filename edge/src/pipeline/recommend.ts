import {
  type Lens,
  MAX_RECENT_ITEMS,
  type RecommendedItem,
  type Surface,
  type Tier,
} from "#shared/api/recommendations";
import { inferenceCacheKey } from "../cache/cache-key.js";
import type { CacheWindows } from "../cache/cache-windows.js";
import type { Computed, ComputeInput, InferenceCache } from "../cache/inference-cache.js";
import { coldStartList } from "./cold-start.js";
import { Deadline, within } from "./deadline.js";
import {
  lensOfSources,
  type ModelPicker,
  type PipelinePorts,
  type RerankInput,
  type SessionView,
} from "./ports.js";
import { type Stage, StageTimings } from "./stage-timings.js";

/** What the inference cache holds: a finished list and how it was made. */
export interface CachedList {
  items: RecommendedItem[];
  lens: Lens;
}

export interface RecommendInput {
  requestId: string;
  surface: Surface;
  k: number;
  region: string;
  sessionId: string;
  /** The edge issued this session just now: it has no events, so its store is not read. */
  newSession?: boolean;
  userId?: string;
  itemId?: string;
  budgetMs: number;
}

export interface Recommendation {
  items: RecommendedItem[];
  lens: Lens;
  tier: Tier;
  stale: boolean;
  ageMs: number;
  degraded: boolean;
  /** Why the answer is degraded (for logs and tests), absent when it is not. */
  degradedBecause?: string;
  serverTiming: string;
}

export interface PipelineDeps {
  ports: PipelinePorts;
  cache: InferenceCache<CachedList>;
  windows: CacheWindows;
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Share of the budget the cache-key reads (session, model version) may take:
 * a cold hot layer or session store must not eat the re-rank's time.
 */
export const KEY_STAGE_SHARE = 0.3;
/** Edge retrieval must be done by this share of the budget, leaving the rest to the origin. */
export const RETRIEVAL_DONE_SHARE = 0.6;
/** Kept for the search itself after the hot reads: top-K over 100k items takes a few ms. */
export const RETRIEVAL_COMPUTE_MS = 3;
/** Time kept back from the origin call for delivery (merging, JSON, the response itself). */
export const ORIGIN_MARGIN_MS = 5;
/** Below this a loopback re-rank of a few hundred candidates cannot finish: skip the call. */
export const MIN_ORIGIN_MS = 3;
/** Nobody waits on a background refresh: it may take the largest budget a caller may ask for. */
export const BACKGROUND_BUDGET_MS = 200;
/** Time the trending fallback gets even when the budget is spent (an isolate-memory read). */
const LAST_RUNG_MS = 5;
/** Candidates sent to the re-rank; the origin contract accepts up to 500. */
export const RERANK_CANDIDATES = 200;

/** The last experiment read per region and surface in this isolate (as a model picker). */
const lastPickers = new Map<string, ModelPicker>();

const EMPTY_SESSION: SessionView = {
  version: 0,
  recentItems: [],
  recentCategories: [],
  updatedAt: 0,
};

/**
 * The deadline-bounded pipeline: session and model version (the cache key) →
 * inference cache → edge retrieval → origin re-rank → delivery. Nothing here
 * throws for a failing dependency: a failing or late stage is skipped and the
 * best answer so far is returned, marked `degraded`.
 */
export async function recommend(
  input: RecommendInput,
  deps: PipelineDeps,
): Promise<Recommendation> {
  const deadline = new Deadline(input.budgetMs);
  const timings = new StageTimings();
  const { ports } = deps;

  const keyStageMs = input.budgetMs * KEY_STAGE_SHARE;
  /** A cache-key read, timed as `stage`: late or failed is `undefined`, never a throw. */
  const keyRead = <T>(stage: Stage, read: () => Promise<T>) =>
    timings.time(stage, () =>
      within(
        read().catch(() => undefined),
        keyStageMs,
        deps.waitUntil,
      ),
    );
  // A session the edge issued in this request has no events: nothing to read.
  const sessionRead = input.newSession
    ? undefined
    : keyRead("session", () => ports.readSession(input.sessionId));
  if (input.newSession) timings.record("session", 0);
  // The surface's experiment is almost always fresh in isolate memory: no promise, no timer.
  const modelNow = ports.modelsNow?.(input.surface);
  if (modelNow) timings.record("hot", 0);
  const modelRead = modelNow ? undefined : keyRead("hot", () => ports.modelsOf(input.surface));
  const readSession = sessionRead ? await sessionRead : EMPTY_SESSION;
  const readModel = modelNow ?? (await modelRead);
  const session = readSession ?? EMPTY_SESSION;
  const pickerKey = `${input.region}|${input.surface}`;
  if (readModel !== undefined) lastPickers.set(pickerKey, readModel);
  // A late model read uses the experiment this isolate saw last: models change rarely, sessions do not.
  const picker = readModel ?? lastPickers.get(pickerKey);
  // The shopper's arm, as the origin assigns it: by user id when signed in, else by session id.
  const model = picker?.(input.userId ?? input.sessionId).model;
  // Without the session's version or any model version the key is a guess: answer, store nothing.
  const keyKnown = readSession !== undefined && model !== undefined;

  const key = inferenceCacheKey({
    region: input.region,
    surface: input.surface,
    userId: input.userId,
    sessionId: input.sessionId,
    sessionVersion: session.version,
    context: { k: input.k, item: input.itemId },
    model: model ?? "unknown",
  });

  // Set by the foreground compute; the cache knows only "computed".
  let outcome: { tier: Tier; degraded?: string; stale: boolean } = { tier: "origin", stale: false };
  const cacheStarted = performance.now();
  let cacheTimed = false;
  const compute = async (computeInput: ComputeInput<CachedList>): Promise<Computed<CachedList>> => {
    if (computeInput.background) {
      // A refresh has its own budget and timings: nobody is waiting on it.
      const result = await computeList(
        input,
        session,
        ports,
        new Deadline(BACKGROUND_BUDGET_MS),
        new StageTimings(),
        computeInput,
        deps.waitUntil,
        model,
      );
      return keyKnown ? result.computed : { ...result.computed, cacheable: false };
    }
    timings.record("cache", performance.now() - cacheStarted);
    cacheTimed = true;
    const result = await computeList(
      input,
      session,
      ports,
      deadline,
      timings,
      computeInput,
      deps.waitUntil,
      model,
    );
    outcome = result.outcome;
    return keyKnown ? result.computed : { ...result.computed, cacheable: false };
  };
  const served = await deps.cache.get(key, deps.windows, compute, deps.waitUntil);
  if (!cacheTimed) timings.record("cache", performance.now() - cacheStarted);
  if (served.from !== "computed") outcome = { tier: served.from, stale: served.stale };

  timings.record("total", deadline.elapsedMs());
  return {
    items: served.value.items,
    lens: served.value.lens,
    tier: outcome.tier,
    stale: outcome.stale,
    ageMs: Math.max(0, Math.round(Date.now() - served.computedAt)),
    degraded: outcome.degraded !== undefined,
    ...(outcome.degraded !== undefined ? { degradedBecause: outcome.degraded } : {}),
    serverTiming: timings.header(),
  };
}

interface ListResult {
  computed: Computed<CachedList>;
  outcome: { tier: Tier; degraded?: string; stale: boolean };
}

/**
 * Edge retrieval, then the origin re-rank with the time left minus a margin;
 * the fallback ladder when the origin fails or is late: the edge's own
 * ranking, else the last cached list, else regional trending, else (nothing
 * held yet: a cold start) the first of the origin's ladder and the trending
 * load, waited for past the budget, else empty.
 */
async function computeList(
  input: RecommendInput,
  session: SessionView,
  ports: PipelinePorts,
  deadline: Deadline,
  timings: StageTimings,
  { previous, previousFrom }: ComputeInput<CachedList>,
  waitUntil: (promise: Promise<unknown>) => void,
  /** The model the cache key names for this shopper (`id@version`, `none`), if known. */
  keyModel: string | undefined,
): Promise<ListResult> {
  const retrievalMs = deadline.budgetMs * RETRIEVAL_DONE_SHARE - deadline.elapsedMs();
  const retrieved = await timings.time("retrieval", async () =>
    within(
      ports
        .retrieve({
          surface: input.surface,
          region: input.region,
          userId: input.userId,
          itemId: input.itemId,
          session,
          limit: RERANK_CANDIDATES,
          waitMs: retrievalMs - RETRIEVAL_COMPUTE_MS,
          keepAlive: waitUntil,
        })
        .catch(() => undefined),
      retrievalMs,
      waitUntil,
    ),
  );
  const candidates = retrieved?.candidates ?? [];

  const rerankInput: RerankInput = {
    surface: input.surface,
    k: input.k,
    region: input.region,
    // A list cached for the region's anonymous segment must not be personal to one session,
    // but the origin still assigns the experiment arm by it, as the key did.
    ...(input.userId !== undefined || session.version > 0
      ? { sessionId: input.sessionId }
      : { experimentUnit: input.sessionId }),
    userId: input.userId,
    itemId: input.itemId,
    ...(candidates.length > 0
      ? { candidates: candidates.slice(0, RERANK_CANDIDATES).map((c) => c.id) }
      : {}),
    ...(session.recentItems.length > 0
      ? { recentItems: session.recentItems.slice(0, MAX_RECENT_ITEMS) }
      : {}),
  };
  let originFailure: string;
  const originMs = Math.floor(deadline.remainingMs() - ORIGIN_MARGIN_MS);
  if (originMs >= MIN_ORIGIN_MS) {
    try {
      const answer = await timings.time("origin", async () => {
        // The client aborts at `originMs`; the race also bounds a port that would not.
        const answered = await within(
          ports.rerank(rerankInput, { requestId: input.requestId, timeoutMs: originMs }),
          originMs + ORIGIN_MARGIN_MS,
        );
        if (!answered) throw new Error(`origin did not answer within ${originMs} ms`);
        return answered;
      });
      // A list scored by another model than the key names (the hot entry is behind the origin's
      // registry) is served but not stored under a key it does not belong to.
      const scoredBy = answer.model && `${answer.model.id}@${answer.model.version}`;
      return {
        computed: {
          value: { items: answer.items.slice(0, input.k), lens: answer.lens },
          computedAt: answer.computedAt,
          cacheable: scoredBy === undefined || scoredBy === keyModel,
        },
        outcome: { tier: "origin", stale: false },
      };
    } catch (error) {
      originFailure = error instanceof Error ? error.message : "origin failed";
    }
  } else {
    originFailure = `no time left for the origin (${originMs} ms)`;
  }

  const degraded = (
    value: CachedList,
    computedAt: number,
    tier: Tier,
    stale = false,
  ): ListResult => ({
    computed: { value, computedAt, cacheable: false },
    outcome: { tier, degraded: originFailure, stale },
  });
  if (retrieved && candidates.length > 0) {
    const top = [...candidates].sort((a, b) => b.score - a.score).slice(0, input.k);
    const sources = top.flatMap((c) => c.sources);
    return degraded(
      { items: top.map(({ id, score }) => ({ id, score })), lens: lensOfSources(sources) },
      retrieved.computedAt,
      "edge",
    );
  }
  if (previous)
    return degraded(previous.value, previous.computedAt, previousFrom ?? "memory", true);
  // The last rung may overrun a spent budget by a few ms rather than answer with nothing.
  // A late read (a busy isolate, a store re-read) falls back to the isolate's copy, however old.
  const trending =
    (await within(
      ports.trending(input.region).catch(() => undefined),
      Math.max(deadline.remainingMs(), LAST_RUNG_MS),
    )) ?? ports.trendingHeld?.(input.region);
  const items = (trending?.items ?? []).slice(0, input.k).map((id, i) => ({
    id,
    score: trending?.scores[i] ?? 0,
  }));
  if (items.length > 0) {
    return degraded({ items, lens: "business" }, trending?.updatedAt ?? Date.now(), "edge");
  }
  // Nothing held at all, not even an old copy (a brand-new isolate or region): a late answer
  // beats none. A busy isolate that holds trending never gets here.
  const cold = await timings.time("cold", () => coldStartList(ports, rerankInput, input.requestId));
  if (cold) return degraded(cold.value, cold.computedAt, cold.tier);
  return degraded({ items, lens: "business" }, Date.now(), "edge");
}
