import type { PoolItemMeta, RetrievalPool } from "#shared/retrieval/pool-codec";
import type { Rule } from "#shared/rules/rules-config";
import { allowsItem, type EdgeFilter, edgeFilterFromRules, poolAcceptor } from "./edge-filters.js";
import { poolIndexOf, poolMetaAt } from "./pool-lookup.js";
import type { PoolOverlay } from "./pool-overlay.js";
import { sessionVector, usableVector } from "./query-vector.js";
import { topKByDot } from "./top-k-dot.js";

/** Where a candidate came from; an item several sources found lists each. */
export type CandidateSource = "embedding" | "covisit" | "trending";

export interface Candidate {
  itemId: string;
  /** Fused score (weighted reciprocal rank over the sources that found it); higher is better. */
  score: number;
  sources: CandidateSource[];
}

/** A hot `covisit` or `trending` value: items with their scores, best first or not. */
export interface ScoredItems {
  items: readonly string[];
  scores: readonly number[];
}

export interface RetrievalInput {
  /** The region's decoded pool (`hotLayer(env).pool()`); without it, no embedding source. */
  pool?: RetrievalPool | undefined;
  /**
   * Facts of items written since the pool was built (`poolOverlayOf`): they
   * win over the pool's columns, so filters follow writes within the hot
   * layer's freshness bound, not the pool's rebuild interval.
   */
  overlay?: PoolOverlay | undefined;
  /** The user's embedding from the hot `user` entry, if any (checked: right dim, finite). */
  userVector?: unknown;
  /** The session's recent items, newest first (`readSession(...).recentItems`). */
  recentItems: readonly string[];
  /** Items the shopper bought: never candidates. */
  purchased?: readonly string[] | undefined;
  /** Hot `covisit` values by item id, for (some of) the recent items. */
  covisit?: ReadonlyMap<string, ScoredItems | undefined> | undefined;
  /** The hot `trending` value of this region. */
  trending?: ScoredItems | undefined;
  /** The surface's rules; the edge applies the filters it can check (stock, blocked category/brand). */
  rules?: readonly Rule[] | undefined;
  /** Facts (hot `item` entries) for candidates outside the pool; unknown items are kept. */
  itemMeta?: ReadonlyMap<string, PoolItemMeta> | undefined;
  /** Epoch ms, for rules' promotion windows. */
  now: number;
  /** Candidates returned, and depth taken from each source (default 200; origin re-rank takes ≤ 500). */
  limit?: number | undefined;
  weights?: Partial<Record<CandidateSource, number>> | undefined;
}

export interface RetrievalResult {
  /** Best first, at most `limit`, none excluded or filtered out. */
  candidates: Candidate[];
  /** What the embedding source searched with. */
  query: "user" | "session" | "none";
  /** Items each source offered after exclusions and filters. */
  counts: Record<CandidateSource, number>;
}

export const DEFAULT_CANDIDATE_LIMIT = 200;
/**
 * Co-visitation of what the shopper just did is the strongest intent signal
 * the edge has, embedding similarity next; trending is the fallback that only
 * leads when nothing personal exists.
 */
export const DEFAULT_SOURCE_WEIGHTS: Record<CandidateSource, number> = {
  covisit: 1.2,
  embedding: 1,
  trending: 0.5,
};
/** Reciprocal-rank-fusion constant: 60 is the usual choice; it flattens the head so one source cannot dominate on rank 1 alone. */
const RRF_K = 60;
/** Co-visitation is read for this many most recent items, each weighted this much less than the one after it. */
const COVISIT_RECENT_ITEMS = 10;
const COVISIT_RECENCY_DECAY = 0.85;

type Ranked = { id: string; score: number }[];

function metaOf(id: string, input: RetrievalInput): PoolItemMeta | undefined {
  const newer = input.overlay?.byId.get(id);
  if (newer) return newer;
  if (input.pool) {
    const index = poolIndexOf(input.pool, id);
    if (index !== undefined && input.pool.meta) return poolMetaAt(input.pool, index);
  }
  return input.itemMeta?.get(id);
}

function embeddingSource(
  input: RetrievalInput,
  filter: EdgeFilter,
  excluded: ReadonlySet<string>,
  limit: number,
): { ranked: Ranked; query: RetrievalResult["query"] } {
  const pool = input.pool;
  if (!pool || pool.count === 0) return { ranked: [], query: "none" };
  const user = usableVector(input.userVector, pool.dim);
  const query = user ?? sessionVector(pool, input.recentItems);
  if (!query) return { ranked: [], query: "none" };
  const excludedIndices = new Set<number>();
  for (const id of excluded) {
    const index = poolIndexOf(pool, id);
    if (index !== undefined) excludedIndices.add(index);
  }
  const top = topKByDot(
    pool,
    query,
    limit,
    poolAcceptor(pool, filter, excludedIndices, input.overlay),
  );
  const ranked: Ranked = [];
  for (let i = 0; i < top.indices.length; i++) {
    ranked.push({
      id: pool.ids[top.indices[i] as number] as string,
      score: top.scores[i] as number,
    });
  }
  return { ranked, query: user ? "user" : "session" };
}

/** Sums each recent item's co-visitation list (scaled to its best score) with a recency weight. */
function covisitSource(input: RetrievalInput): Ranked {
  const totals = new Map<string, number>();
  let weight = 1;
  for (const recent of input.recentItems.slice(0, COVISIT_RECENT_ITEMS)) {
    const list = input.covisit?.get(recent);
    if (list) {
      const best = Math.max(0, ...list.scores.filter(Number.isFinite));
      list.items.forEach((id, i) => {
        const raw = list.scores[i];
        const scaled = best > 0 && typeof raw === "number" && raw > 0 ? raw / best : 0;
        totals.set(id, (totals.get(id) ?? 0) + weight * scaled);
      });
    }
    weight *= COVISIT_RECENCY_DECAY;
  }
  return [...totals].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

function trendingSource(input: RetrievalInput): Ranked {
  const list = input.trending;
  if (!list) return [];
  return list.items
    .map((id, i) => ({ id, score: list.scores[i] ?? 0 }))
    .sort((a, b) => b.score - a.score);
}

/** Drops excluded and filtered items and keeps the best `limit`. */
function admit(
  ranked: Ranked,
  input: RetrievalInput,
  filter: EdgeFilter,
  excluded: ReadonlySet<string>,
  limit: number,
): Ranked {
  const out: Ranked = [];
  const seen = new Set<string>();
  for (const entry of ranked) {
    if (out.length === limit) break;
    // Hot values arrive unparsed: an id that is not a non-empty string is skipped.
    if (typeof entry.id !== "string" || entry.id === "") continue;
    if (excluded.has(entry.id) || seen.has(entry.id)) continue;
    if (!allowsItem(filter, metaOf(entry.id, input))) continue;
    seen.add(entry.id);
    out.push(entry);
  }
  return out;
}

/**
 * Edge candidate generation: top-K dot product of the user's embedding (else
 * the mean of the session's recent items) against the pool, co-visitation of
 * the recent items, and regional trending; fused by weighted reciprocal rank,
 * deduplicated (an item keeps every source that found it), without the
 * session's recent and purchased items, and filtered by the rules the edge can
 * check. Pure: the hot layer and session values come in as arguments.
 *
 * @example
 * const { candidates } = retrieveCandidates({
 *   pool: await hot.pool(),
 *   recentItems: session.recentItems,
 *   covisit: new Map([...covisitEntries].map(([id, e]) => [id, e.value as ScoredItems])),
 *   trending: (await hot.get("trending", region))?.value as ScoredItems | undefined,
 *   rules: rulesDoc?.rules,
 *   now: Date.now(),
 * });
 */
export function retrieveCandidates(input: RetrievalInput): RetrievalResult {
  const limit = Math.max(0, Math.floor(input.limit ?? DEFAULT_CANDIDATE_LIMIT));
  const weights = { ...DEFAULT_SOURCE_WEIGHTS, ...input.weights };
  const filter = edgeFilterFromRules(input.rules, input.now);
  const excluded = new Set([...input.recentItems, ...(input.purchased ?? [])]);

  const embedding = embeddingSource(input, filter, excluded, limit);
  const sources: [CandidateSource, Ranked][] = [
    ["embedding", embedding.ranked],
    ["covisit", admit(covisitSource(input), input, filter, excluded, limit)],
    ["trending", admit(trendingSource(input), input, filter, excluded, limit)],
  ];

  const merged = new Map<string, Candidate>();
  const counts: Record<CandidateSource, number> = { embedding: 0, covisit: 0, trending: 0 };
  for (const [source, ranked] of sources) {
    counts[source] = ranked.length;
    ranked.forEach((entry, rank) => {
      const gain = weights[source] / (RRF_K + rank + 1);
      const candidate = merged.get(entry.id);
      if (candidate) {
        candidate.score += gain;
        candidate.sources.push(source);
      } else {
        merged.set(entry.id, { itemId: entry.id, score: gain, sources: [source] });
      }
    });
  }
  const candidates = [...merged.values()].sort((a, b) => b.score - a.score).slice(0, limit);
  return { candidates, query: embedding.query, counts };
}
