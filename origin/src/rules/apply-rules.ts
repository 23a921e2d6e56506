import { orderByScore } from "../proxy/order-by-score.js";
import type {
  CompiledCap,
  CompiledFilter,
  CompiledPin,
  CompiledRules,
  ItemFeatureValues,
} from "./compile-rules.js";

export type { CompiledRules, ItemFeatureValues } from "./compile-rules.js";

export interface RulesInput {
  surface: string;
  /** Model scores, in any order. */
  candidates: readonly { id: string; score: number }[];
  /** Item features per candidate, aligned with `candidates` (missing = no features). */
  itemFeatures: readonly (ItemFeatureValues | undefined)[];
  /** The user's (or session's) history, for `filter_purchased` and `filter_overexposed`. */
  user?: {
    purchased?: ReadonlySet<string>;
    /** Impressions of each item to this user or session. */
    impressions?: ReadonlyMap<string, number>;
  };
  /** Epoch ms; decides which promotion windows are active (injected so tests control it). */
  now: number;
  rules: CompiledRules;
}

export interface RankedItem {
  id: string;
  /** Model score after boosts and buries. */
  score: number;
  /** Short, human: `score 0.82`, `boosted: brand in [acme] ×1.2`, `pinned at 1`, … */
  reasons: string[];
}

export interface RulesOutput {
  ranked: RankedItem[];
  removed: { id: string; reason: string }[];
}

/**
 * Two decimals (`0.82`, `1.5`, `-3`): enough to compare items, short to read.
 * Built from integers because float-to-string is most of the cost of
 * explaining 200 items; tiny or huge scores fall back to 3 significant digits.
 */
export function formatScore(score: number): string {
  const cents = Math.round(Math.abs(score) * 100);
  if (cents === 0 || cents >= 1e8) return String(Number(score.toPrecision(3)));
  const whole = Math.floor(cents / 100);
  const frac = cents % 100;
  const sign = score < 0 ? "-" : "";
  if (frac === 0) return `${sign}${whole}`;
  if (frac % 10 === 0) return `${sign}${whole}.${frac / 10}`;
  return `${sign}${whole}.${frac < 10 ? "0" : ""}${frac}`;
}

/** Scores in [0, 100) repeat across requests: their reason strings are built once (≤ 10k strings). */
const CACHED_CENTS = 10_000;
const scoreReasons: (string | undefined)[] = [];

function scoreReason(score: number): string {
  const cents = Math.round(score * 100);
  if (cents > 0 && cents < CACHED_CENTS) {
    const cached = scoreReasons[cents];
    if (cached !== undefined) return cached;
    const built = `score ${formatScore(cents / 100)}`;
    scoreReasons[cents] = built;
    return built;
  }
  return `score ${formatScore(score)}`;
}

function active(rule: { start: number; end: number }, now: number): boolean {
  return now >= rule.start && now < rule.end;
}

/** The reason an item is removed, or `null` if it passes every filter. */
function filterReason(
  filter: CompiledFilter,
  id: string,
  features: ItemFeatureValues | undefined,
  user: RulesInput["user"],
): string | null {
  switch (filter.kind) {
    case "out_of_stock":
      // Unknown stock counts as out of stock: never recommend what may not be sold.
      return features?.[filter.feature] === true ? null : filter.reason;
    case "blocked": {
      const value = features?.[filter.feature];
      if (typeof value === "string") return filter.values.has(value) ? filter.reason : null;
      if (Array.isArray(value) && value.some((v) => filter.values.has(v))) return filter.reason;
      return null;
    }
    case "purchased":
      return user?.purchased?.has(id) ? filter.reason : null;
    case "overexposed": {
      const seen = filter.feature ? features?.[filter.feature] : user?.impressions?.get(id);
      return typeof seen === "number" && seen > filter.max
        ? `shown too often: ${seen} impressions > ${filter.max}`
        : null;
    }
  }
}

/** A value of a cap's feature as a counting key (`null`: the item is not capped). */
function capKey(features: ItemFeatureValues | undefined, feature: string): string | null {
  const value = features?.[feature];
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

/**
 * Applies a surface's business rules to scored candidates, in this order:
 * filters (removed items say why), boosts and buries (score × weight; for a
 * negative score ÷ weight, so a boost always raises), a stable sort by score,
 * pins (an item at a 1-based position if it survived the filters), and
 * diversity caps (at most N per value of a feature in the top K: an item over
 * the cap moves down to the first slot where it fits, the rest keep their
 * order; pinned items count towards caps but never move). Rules outside their
 * promotion window are skipped. Pure: the compiled rules are read, not changed.
 *
 * @example
 * const { ranked, removed } = applyRules({
 *   surface: "home", candidates, itemFeatures, user: { purchased }, now: Date.now(),
 *   rules: rulesStore.current("home"),
 * });
 */
export function applyRules(input: RulesInput): RulesOutput {
  const { candidates, itemFeatures, user, now, rules } = input;
  const filters = rules.filters.filter((f) => active(f, now));
  const weights = rules.weights.filter((w) => active(w, now));
  const removed: { id: string; reason: string }[] = [];
  const kept: RankedItem[] = [];
  const keptFeatures: (ItemFeatureValues | undefined)[] = [];
  const scores = new Float64Array(candidates.length);

  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i] as { id: string; score: number };
    const features = itemFeatures[i];
    let reason: string | null = null;
    for (const filter of filters) {
      reason = filterReason(filter, candidate.id, features, user);
      if (reason) break;
    }
    if (reason) {
      removed.push({ id: candidate.id, reason });
      continue;
    }
    let score = candidate.score;
    const reasons = [scoreReason(score)];
    for (const rule of weights) {
      if (!rule.when.test(features?.[rule.when.feature])) continue;
      score = score >= 0 ? score * rule.weight : score / rule.weight;
      reasons.push(rule.reason);
    }
    scores[kept.length] = score;
    kept.push({ id: candidate.id, score, reasons });
    keptFeatures.push(features);
  }

  // Sort indices, not items, so each item's features stay found by index.
  const order = orderByScore(scores, kept.length);
  const pins = pinnedSlots(rules, now, kept);
  const caps = rules.caps.filter((c) => active(c, now));
  if (pins === null && caps.length === 0) {
    const ranked = new Array<RankedItem>(kept.length);
    for (let i = 0; i < kept.length; i++) ranked[i] = kept[order[i] as number] as RankedItem;
    return { ranked, removed };
  }
  return { ranked: place(order, kept, keptFeatures, pins, caps), removed };
}

/** Active pins of surviving candidates as slot (0-based) → kept index (-1: free), or `null` if none. */
function pinnedSlots(
  rules: CompiledRules,
  now: number,
  kept: readonly RankedItem[],
): Int32Array | null {
  if (rules.pinsById.size === 0) return null;
  const matches: { pin: CompiledPin; index: number }[] = [];
  for (let i = 0; i < kept.length; i++) {
    const pins = rules.pinsById.get((kept[i] as RankedItem).id);
    if (!pins) continue;
    // An item's first active pin (by position) wins; its windowed others wait their turn.
    const pin = pins.find((p) => active(p, now));
    if (pin) matches.push({ pin, index: i });
  }
  if (matches.length === 0) return null;
  matches.sort((a, b) => a.pin.position - b.pin.position);
  const slots = new Int32Array(kept.length).fill(-1);
  for (const { pin, index } of matches) {
    // A pin past the end of the list lands at the end; a taken slot passes to the next free one.
    let slot = Math.min(pin.position - 1, kept.length - 1);
    while (slot < kept.length && slots[slot] !== -1) slot++;
    if (slot >= kept.length) for (slot = kept.length - 1; slots[slot] !== -1; ) slot--;
    slots[slot] = index;
    (kept[index] as RankedItem).reasons.push(pin.reason);
  }
  return slots;
}

/** Fills slots in order: pinned items at their slots, else the first item that fits every cap. */
function place(
  order: Uint32Array,
  kept: readonly RankedItem[],
  features: readonly (ItemFeatureValues | undefined)[],
  pins: Int32Array | null,
  caps: readonly CompiledCap[],
): RankedItem[] {
  const taken = new Uint8Array(kept.length);
  if (pins) for (const index of pins) if (index >= 0) taken[index] = 1;
  const counts = caps.map(() => new Map<string, number>());
  const capped = new Uint8Array(kept.length);
  const lastCappedSlot = caps.reduce((max, cap) => Math.max(max, cap.topK), 0);
  const ranked: RankedItem[] = [];
  let head = 0;

  const count = (index: number, slot: number) => {
    for (let c = 0; c < caps.length; c++) {
      const cap = caps[c] as CompiledCap;
      if (slot >= cap.topK) continue;
      const key = capKey(features[index], cap.feature);
      if (key === null) continue;
      const m = counts[c] as Map<string, number>;
      m.set(key, (m.get(key) ?? 0) + 1);
    }
  };
  /** The first cap this item would exceed at `slot`, or -1. */
  const overCap = (index: number, slot: number): number => {
    for (let c = 0; c < caps.length; c++) {
      const cap = caps[c] as CompiledCap;
      if (slot >= cap.topK) continue;
      const key = capKey(features[index], cap.feature);
      if (key !== null && ((counts[c] as Map<string, number>).get(key) ?? 0) >= cap.max) return c;
    }
    return -1;
  };

  for (let slot = 0; slot < kept.length; slot++) {
    const pinned = pins ? (pins[slot] as number) : -1;
    if (pinned >= 0) {
      if (slot < lastCappedSlot) count(pinned, slot);
      ranked.push(kept[pinned] as RankedItem);
      continue;
    }
    while (head < order.length && taken[order[head] as number]) head++;
    let chosen = -1;
    if (slot >= lastCappedSlot) {
      chosen = order[head] as number;
    } else {
      for (let o = head; o < order.length; o++) {
        const index = order[o] as number;
        if (taken[index]) continue;
        const over = overCap(index, slot);
        if (over < 0) {
          chosen = index;
          break;
        }
        if (!capped[index]) {
          capped[index] = 1;
          const cap = caps[over] as CompiledCap;
          const key = capKey(features[index], cap.feature);
          (kept[index] as RankedItem).reasons.push(
            `capped: ${cap.max} of ${cap.feature} ${key} in top ${cap.topK}`,
          );
        }
      }
      // Every remaining item is over a cap: the caps cannot be met, so the best one goes here.
      if (chosen < 0) chosen = order[head] as number;
      count(chosen, slot);
    }
    taken[chosen] = 1;
    ranked.push(kept[chosen] as RankedItem);
  }
  return ranked;
}

/** The item features `rules` read, for the caller's one batched read. */
export function ruleItemFeatures(rules: CompiledRules): readonly string[] {
  return rules.itemFeatures;
}
