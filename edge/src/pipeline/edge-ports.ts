import type { Rule } from "#shared/rules/rules-config";
import type { EdgeConfig } from "../config/edge-config.js";
import type { EdgeBindings } from "../env.js";
import { type HotEntry, type HotReadOptions, hotLayer } from "../hot/hot-layer.js";
import { rerankAtOrigin } from "../origin/rerank.js";
import { poolOverlayOf } from "../retrieval/pool-overlay.js";
import { retrieveCandidates, type ScoredItems } from "../retrieval/retrieve-candidates.js";
import { readSession } from "../session/session-client.js";
import { within } from "./deadline.js";
import { modelPickerOf } from "./model-picker.js";
import type {
  EdgeCandidate,
  PipelinePorts,
  RetrievalInput,
  RetrievalOutput,
  TrendingList,
} from "./ports.js";

// Built once per bindings object (per isolate in production): nothing per request.
const built = new WeakMap<object, PipelinePorts>();

/** Co-visitation is looked up for the current item and this many of the session's newest items. */
const COVISIT_SEEDS = 10;

function scoredItems(entry: HotEntry | undefined): ScoredItems | undefined {
  const value = entry?.value as Partial<ScoredItems> | null | undefined;
  return Array.isArray(value?.items) && Array.isArray(value?.scores)
    ? { items: value.items, scores: value.scores }
    : undefined;
}

function trendingList(entry: HotEntry | undefined): TrendingList | undefined {
  const list = scoredItems(entry);
  return list && entry
    ? { items: [...list.items], scores: [...list.scores], updatedAt: entry.updatedAt }
    : undefined;
}

/**
 * Edge retrieval over the hot layer: pool, trending, co-visitation of the
 * current and recent items, the surface's rules and the user's embedding, all
 * read concurrently from isolate memory (or the region store on a miss).
 */
async function retrieveAtEdge(env: EdgeBindings, input: RetrievalInput): Promise<RetrievalOutput> {
  const hot = hotLayer(env);
  const recent = input.itemId
    ? [input.itemId, ...input.session.recentItems.filter((id) => id !== input.itemId)]
    : input.session.recentItems;
  const seeds = recent.slice(0, COVISIT_SEEDS);
  // A source still loading (a new item's co-visitation, the pool on a cold isolate) is left out
  // once `waitMs` is up; its load goes on (keepAlive) for the next request. The rules are
  // waited for: without them the edge's stock and block filters would not apply.
  const optional = <T>(read: Promise<T>) => within(read, input.waitMs, input.keepAlive);
  // Loads this request starts (a pool version check included) outlive its answer for the next one.
  const keep: HotReadOptions = input.keepAlive ? { waitUntil: input.keepAlive } : {};
  const [held, trending, covisit, rules, user] = await Promise.all([
    // The pool with its overlay: item writes since the pool's build reach the filters within the bound.
    optional(hot.poolWithOverlay(keep)),
    optional(hot.get("trending", input.region, keep)),
    seeds.length > 0
      ? optional(hot.getMany("covisit", seeds, keep)).then(
          (found) => found ?? new Map<string, HotEntry>(),
        )
      : new Map<string, HotEntry>(),
    hot.get("rules", input.surface, keep),
    input.userId ? optional(hot.get("user", input.userId, keep)) : undefined,
  ]);
  const result = retrieveCandidates({
    pool: held?.pool,
    overlay: poolOverlayOf(held?.pool, held?.overlay),
    userVector: (user?.value as { embedding?: unknown } | null | undefined)?.embedding,
    recentItems: recent,
    covisit: new Map([...covisit].map(([id, entry]) => [id, scoredItems(entry)])),
    trending: scoredItems(trending),
    rules: (rules?.value as { rules?: Rule[] } | null | undefined)?.rules,
    now: Date.now(),
    limit: input.limit,
  });
  // The embedding source is the request lens when it searched with the session, the user lens with the user's vector.
  const embeddingLens = result.query === "user" ? "user" : "session";
  const candidates: EdgeCandidate[] = result.candidates.map((c) => ({
    id: c.itemId,
    score: c.score,
    sources: c.sources.map((s) => (s === "embedding" ? embeddingLens : s)),
  }));
  const used = [trending, rules, user, ...covisit.values()].filter((e) => e !== undefined);
  const computedAt = used.length > 0 ? Math.min(...used.map((e) => e.updatedAt)) : Date.now();
  return { candidates, computedAt };
}

/**
 * The pipeline's ports over the real edge: session DO, hot layer, edge
 * retrieval and the signed origin client.
 */
export function edgePorts(env: EdgeBindings, config: EdgeConfig): PipelinePorts {
  let ports = built.get(env);
  if (!ports) {
    ports = {
      readSession: (sessionId) => readSession(env, sessionId),
      modelsOf: async (surface) => {
        // No entry at all (store and origin unreachable) reads as "no experiment", as before.
        const picker = modelPickerOf((await hotLayer(env).get("model", surface))?.value ?? null);
        if (!picker) throw new Error(`model entry of ${surface} has an unknown shape`);
        return picker;
      },
      modelsNow: (surface) => {
        const entry = hotLayer(env).peek("model", surface);
        return entry === undefined ? undefined : modelPickerOf(entry?.value ?? null);
      },
      retrieve: (input) => retrieveAtEdge(env, input),
      trending: async (region) => trendingList(await hotLayer(env).get("trending", region)),
      trendingHeld: (region) => trendingList(hotLayer(env).held("trending", region)),
      rerank: (input, options) => rerankAtOrigin(config, input, options),
    };
    built.set(env, ports);
  }
  return ports;
}
