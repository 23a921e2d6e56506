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

/** Three significant digits: enough to compare items, short enough to read. */
function formatScore(score: number): string {
  return String(Number(score.toPrecision(3)));
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
    const reasons = [`score ${formatScore(score)}`];
    for (const rule of weights) {
      if (!rule.when.test(features?.[rule.when.feature])) continue;
      score = score >= 0 ? score * rule.weight : score / rule.weight;
      reasons.push(rule.reason);
    }
    kept.push({ id: candidate.id, score, reasons });
    keptFeatures.push(features);
  }

  // Sort indices, not items, so each item's features stay found by index; ties keep input order.
  const order = kept.map((_, i) => i);
  order.sort((a, b) => (kept[b] as RankedItem).score - (kept[a] as RankedItem).score);

  const pins = pinnedSlots(rules.pins, now, kept);
  const caps = rules.caps.filter((c) => active(c, now));
  if (pins.size === 0 && caps.length === 0) {
    return { ranked: order.map((i) => kept[i] as RankedItem), removed };
  }
  return { ranked: place(order, kept, keptFeatures, pins, caps), removed };
}

/** Active pins of surviving candidates: slot index (0-based) → kept index. */
function pinnedSlots(
  pins: readonly CompiledPin[],
  now: number,
  kept: readonly RankedItem[],
): Map<number, number> {
  const slots = new Map<number, number>();
  if (pins.length === 0) return slots;
  const byId = new Map<string, number>();
  for (let i = 0; i < kept.length; i++) byId.set((kept[i] as RankedItem).id, i);
  const pinnedItems = new Set<number>();
  // Pins are sorted by position; a later pin of a taken slot or item is skipped (windowed overlaps).
  for (const pin of pins) {
    const index = byId.get(pin.itemId);
    if (index === undefined || !active(pin, now) || pinnedItems.has(index)) continue;
    // A pin past the end of the list lands at the end (still after every earlier pin).
    let slot = Math.min(pin.position - 1, kept.length - 1);
    while (slots.has(slot)) slot++;
    // Past the end (clamped pins collided): the last free slot; there is one, pins ≤ items.
    if (slot >= kept.length) for (slot = kept.length - 1; slots.has(slot); ) slot--;
    slots.set(slot, index);
    pinnedItems.add(index);
    (kept[index] as RankedItem).reasons.push(pin.reason);
  }
  return slots;
}

/** Fills slots in order: pinned items at their slots, else the first item that fits every cap. */
function place(
  order: readonly number[],
  kept: readonly RankedItem[],
  features: readonly (ItemFeatureValues | undefined)[],
  pins: ReadonlyMap<number, number>,
  caps: readonly CompiledCap[],
): RankedItem[] {
  const taken = new Uint8Array(kept.length);
  for (const index of pins.values()) taken[index] = 1;
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
    const pinned = pins.get(slot);
    if (pinned !== undefined) {
      count(pinned, slot);
      ranked.push(kept[pinned] as RankedItem);
      continue;
    }
    while (head < order.length && taken[order[head] as number]) head++;
    let chosen = -1;
    for (let o = head; o < order.length; o++) {
      const index = order[o] as number;
      if (taken[index]) continue;
      if (slot >= lastCappedSlot) {
        chosen = index;
        break;
      }
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
    if (chosen < 0) {
      while (head < order.length && taken[order[head] as number]) head++;
      chosen = order[head] as number;
    }
    taken[chosen] = 1;
    count(chosen, slot);
    ranked.push(kept[chosen] as RankedItem);
  }
  return ranked;
}

/** The item features `rules` read, for the caller's one batched read. */
export function ruleItemFeatures(rules: CompiledRules): readonly string[] {
  return rules.itemFeatures;
}
