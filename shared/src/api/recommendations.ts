import { z } from "zod";

/** Where on the page the list is shown; rules and caches are configured per surface. */
export const Surface = z.enum(["home", "pdp", "cart", "search", "category"]);
export type Surface = z.infer<typeof Surface>;

/** Which lens of the fallback ladder answered (see docs/architecture.md). */
export const Lens = z.enum(["request", "user", "business"]);
export type Lens = z.infer<typeof Lens>;

/** Which tier produced the answer, fastest first. */
export const Tier = z.enum(["memory", "edge-cache", "edge", "origin"]);
export type Tier = z.infer<typeof Tier>;

/** Largest list a caller may ask for; bigger lists are a batch job, not a page. */
export const MAX_K = 100;

const id = z.string().min(1).max(128);

/** The page's whole budget for a list (see BRIEF: ~50 ms). */
export const DEFAULT_BUDGET_MS = 50;
/** Below 10 ms not even the edge's own retrieval fits; the caller would only get trending. */
export const MIN_BUDGET_MS = 10;
/** Above 200 ms a list arrives after the page has rendered; callers with more time should not wait here. */
export const MAX_BUDGET_MS = 200;

/** Query string of `GET /v1/recommendations` (the browser-facing contract). */
export const RecommendationQuery = z.object({
  surface: Surface,
  k: z.coerce.number().int().min(1).max(MAX_K).default(10),
  // Personalised lists need a verified shopper token (see docs); until then only session and item context.
  sessionId: id.optional(),
  itemId: id.optional(),
  /** The request's latency budget in ms; the pipeline skips what would overrun it. */
  budgetMs: z.coerce
    .number()
    .int()
    .min(MIN_BUDGET_MS)
    .max(MAX_BUDGET_MS)
    .default(DEFAULT_BUDGET_MS),
});
export type RecommendationQuery = z.infer<typeof RecommendationQuery>;

export const RecommendedItem = z.object({
  id,
  score: z.number(),
});
export type RecommendedItem = z.infer<typeof RecommendedItem>;

/** Every answer carries its freshness contract: tier, lens, stale and ageMs. */
export const RecommendationResponse = z.object({
  requestId: z.string(),
  surface: Surface,
  region: z.string(),
  items: z.array(RecommendedItem),
  lens: Lens,
  tier: Tier,
  stale: z.boolean(),
  /** Milliseconds since the data behind this answer was computed. */
  ageMs: z.number().int().nonnegative(),
  degraded: z.boolean(),
});
export type RecommendationResponse = z.infer<typeof RecommendationResponse>;

/** Most candidates the edge may hand the origin to re-rank (one rank call's worth). */
export const MAX_ORIGIN_CANDIDATES = 500;
/** Most session items the edge forwards; older ones add little signal. */
export const MAX_RECENT_ITEMS = 50;
/** Item ids sent to the origin become store keys, so no "|" (the key-part separator). */
const itemKey = id.regex(/^[^|]+$/, 'must not contain "|"');

/** Body of the edge -> origin `POST /internal/recommendations` call. */
export const OriginRecommendationRequest = z.object({
  surface: Surface,
  k: z.number().int().min(1).max(MAX_K),
  region: z.string().min(1).max(64),
  userId: id.optional(),
  sessionId: id.optional(),
  /**
   * The id the surface's experiment assigns by when neither `userId` nor
   * `sessionId` is sent: a new anonymous visitor's list is the region's shared
   * one (no session, so it is not personal), but their arm is their session's,
   * as on every later request. The edge keys its cache by that arm's model.
   */
  experimentUnit: id.optional(),
  itemId: id.optional(),
  /** Item ids the edge already retrieved; when present the origin re-ranks these instead of retrieving its own. */
  candidates: z.array(itemKey).min(1).max(MAX_ORIGIN_CANDIDATES).optional(),
  /** The session's item ids the edge knows, newest first: the request lens of the fallback ladder. */
  recentItems: z.array(itemKey).max(MAX_RECENT_ITEMS).optional(),
});
export type OriginRecommendationRequest = z.infer<typeof OriginRecommendationRequest>;

export const OriginRecommendedItem = RecommendedItem.extend({
  /** Short and human-readable: why the item is where it is (model, rule or fallback step). */
  reason: z.string().optional(),
});
export type OriginRecommendedItem = z.infer<typeof OriginRecommendedItem>;

/** What the origin answers; the edge adds tier, stale and degraded. */
export const OriginRecommendationResponse = z.object({
  items: z.array(OriginRecommendedItem),
  lens: Lens,
  /** The model version that scored the list, when one did. */
  model: z.object({ id: z.string(), version: z.number().int().positive() }).optional(),
  /** The experiment arm the caller fell into, when the surface runs an experiment. */
  arm: z.string().optional(),
  /** Epoch ms at which the data behind the list was computed. */
  computedAt: z.number().int().nonnegative(),
});
export type OriginRecommendationResponse = z.infer<typeof OriginRecommendationResponse>;
