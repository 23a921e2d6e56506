import { decayedScores } from "../features/storage-read.js";
import type { BinValue } from "../store/port.js";

/**
 * The intent follows what the shopper does now: an interest halves every 30
 * minutes, so a new category takes over after a few actions, not a session.
 */
export const INTENT_HALF_LIFE_SECONDS = 30 * 60;

/**
 * A session record lives 2 days after its last event: long enough to span a
 * "come back tomorrow" visit, short enough that anonymous sessions do not pile up.
 */
export const SESSION_TTL_SECONDS = 2 * 24 * 3600;

/**
 * The category with the highest decayed score, or "" when none is positive;
 * ties go to the lowest key, as `topKeys` ranks them. One pass over the
 * scores instead of `topKeys(scores, 1)`, which sorts an array of entries
 * (every session write that reads its scores back asks for it).
 */
export function intentCategory(scores: BinValue | undefined, now: number): string {
  if (typeof scores !== "object" || scores === null || Array.isArray(scores)) return "";
  if (scores instanceof Uint8Array) return "";
  let best = "";
  let bestScore = 0;
  decayedScores([scores], INTENT_HALF_LIFE_SECONDS, now).forEach((score, category) => {
    if (!(score > 0)) return;
    if (score > bestScore || (score === bestScore && category < best)) {
      best = category;
      bestScore = score;
    }
  });
  return best;
}
