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

/** Query string of `GET /v1/recommendations` (the browser-facing contract). */
export const RecommendationQuery = z.object({
  surface: Surface,
  k: z.coerce.number().int().min(1).max(MAX_K).default(10),
  // Personalised lists need a verified shopper token (see docs); until then only session and item context.
  sessionId: id.optional(),
  itemId: id.optional(),
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

/** Body of the edge -> origin `POST /internal/recommendations` call. */
export const OriginRecommendationRequest = z.object({
  surface: Surface,
  k: z.number().int().min(1).max(MAX_K),
  region: z.string().min(1).max(64),
  userId: id.optional(),
  sessionId: id.optional(),
  itemId: id.optional(),
});
export type OriginRecommendationRequest = z.infer<typeof OriginRecommendationRequest>;

/** What the origin answers; the edge adds tier, stale and degraded. */
export const OriginRecommendationResponse = z.object({
  items: z.array(RecommendedItem),
  lens: Lens,
  /** Epoch ms at which the data behind the list was computed. */
  computedAt: z.number().int().nonnegative(),
});
export type OriginRecommendationResponse = z.infer<typeof OriginRecommendationResponse>;
