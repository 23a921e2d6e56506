/**
 * Bins of a popularity record (`keys.popular(region | "global")`): parallel
 * lists of ids and scores, best first, and when they were computed. The
 * fallback ladder's last steps read them (`ladder-signals.ts`).
 */
export const POPULAR_BINS = ["items", "scores", "computedAt"] as const;
