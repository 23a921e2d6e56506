import { decayedScores, topKeys } from "../features/storage-read.js";
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

/** The category with the highest decayed score, or "" when none is positive. */
export function intentCategory(scores: BinValue | undefined, now: number): string {
  if (typeof scores !== "object" || scores === null || Array.isArray(scores)) return "";
  if (scores instanceof Uint8Array) return "";
  return topKeys(decayedScores([scores], INTENT_HALF_LIFE_SECONDS, now), 1)[0] ?? "";
}
