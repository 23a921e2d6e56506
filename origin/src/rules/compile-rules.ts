import type { Predicate, Rule } from "#shared/rules/rules-config";

/** An item feature value as the rules read it (the caller's decoded features). */
export type RuleFeatureValue = string | number | boolean | readonly string[] | null | undefined;
/** One candidate's item features, by feature name. */
export type ItemFeatureValues = Readonly<Record<string, RuleFeatureValue>>;

/** A predicate compiled once per rules version: sets for `in`, the reason text prebuilt. */
export interface CompiledPredicate {
  feature: string;
  test(value: RuleFeatureValue): boolean;
  /** e.g. `brand in [acme, zeta]`, `price in [100, 500)`. */
  text: string;
}

interface Windowed {
  /** Epoch ms; the rule is active for `start <= now < end`. */
  start: number;
  end: number;
}

export type CompiledFilter =
  | ({ kind: "out_of_stock"; feature: string; reason: string } & Windowed)
  | ({ kind: "blocked"; feature: string; values: ReadonlySet<string>; reason: string } & Windowed)
  | ({ kind: "purchased"; reason: string } & Windowed)
  | ({ kind: "overexposed"; max: number; feature: string | undefined } & Windowed);

export interface CompiledWeight extends Windowed {
  when: CompiledPredicate;
  weight: number;
  /** e.g. `boosted: brand in [acme] ×1.2`. */
  reason: string;
}

export interface CompiledPin extends Windowed {
  itemId: string;
  /** 1-based. */
  position: number;
  reason: string;
}

export interface CompiledCap extends Windowed {
  feature: string;
  max: number;
  topK: number;
}

/** A surface's rules, compiled once per version and shared by every request. */
export interface CompiledRules {
  version: number;
  filters: readonly CompiledFilter[];
  weights: readonly CompiledWeight[];
  pins: readonly CompiledPin[];
  /** Pins by item id (one item may have several windowed pins), so a request scans its candidates once. */
  pinsById: ReadonlyMap<string, readonly CompiledPin[]>;
  caps: readonly CompiledCap[];
  /** Every item feature the rules read, deduplicated: fetch them in one read. */
  itemFeatures: readonly string[];
}

const ALWAYS: Windowed = { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY };

function windowOf(rule: Rule): Windowed {
  if (!rule.active) return ALWAYS;
  return { start: Date.parse(rule.active.start), end: Date.parse(rule.active.end) };
}

/** `boosted (diwali): …` when the rule has a name, so a promotion is recognisable in reasons. */
function label(verb: string, rule: Rule): string {
  return rule.name ? `${verb} (${rule.name})` : verb;
}

export function compilePredicate(predicate: Predicate): CompiledPredicate {
  const { feature } = predicate;
  switch (predicate.op) {
    case "eq": {
      const expected = predicate.value;
      return {
        feature,
        test: (value) =>
          value === expected || (Array.isArray(value) && value.some((v) => v === expected)),
        text: `${feature} = ${String(expected)}`,
      };
    }
    case "in": {
      const values = new Set<string | number>(predicate.values);
      return {
        feature,
        test: (value) =>
          typeof value === "string" || typeof value === "number"
            ? values.has(value)
            : Array.isArray(value) && value.some((v) => values.has(v)),
        text: `${feature} in [${predicate.values.join(", ")}]`,
      };
    }
    case "range": {
      const min = predicate.min ?? Number.NEGATIVE_INFINITY;
      const max = predicate.max ?? Number.POSITIVE_INFINITY;
      const text =
        predicate.min === undefined
          ? `${feature} < ${max}`
          : predicate.max === undefined
            ? `${feature} ≥ ${min}`
            : `${feature} in [${min}, ${max})`;
      return {
        feature,
        test: (value) => typeof value === "number" && value >= min && value < max,
        text,
      };
    }
  }
}

/**
 * Compiles a validated rule list (`RulesPutRequest.rules`) once per version:
 * windows to epoch ms, `in` lists to sets, reason texts prebuilt, so
 * `applyRules` only looks things up.
 */
export function compileRules(rules: readonly Rule[], version = 0): CompiledRules {
  const filters: CompiledFilter[] = [];
  const weights: CompiledWeight[] = [];
  const pins: CompiledPin[] = [];
  const caps: CompiledCap[] = [];
  const features = new Set<string>();
  for (const rule of rules) {
    const window = windowOf(rule);
    switch (rule.kind) {
      case "filter_out_of_stock":
        features.add(rule.feature);
        filters.push({
          kind: "out_of_stock",
          feature: rule.feature,
          reason: label("out of stock", rule),
          ...window,
        });
        break;
      case "filter_blocked":
        features.add(rule.feature);
        filters.push({
          kind: "blocked",
          feature: rule.feature,
          values: new Set(rule.values),
          reason: `${label("blocked", rule)}: ${rule.feature} in [${rule.values.join(", ")}]`,
          ...window,
        });
        break;
      case "filter_purchased":
        filters.push({ kind: "purchased", reason: label("already purchased", rule), ...window });
        break;
      case "filter_overexposed":
        if (rule.feature) features.add(rule.feature);
        filters.push({
          kind: "overexposed",
          max: rule.maxImpressions,
          feature: rule.feature,
          ...window,
        });
        break;
      case "boost":
      case "bury": {
        const when = compilePredicate(rule.when);
        features.add(when.feature);
        const verb = rule.kind === "boost" ? "boosted" : "buried";
        weights.push({
          when,
          weight: rule.weight,
          reason: `${label(verb, rule)}: ${when.text} ×${rule.weight}`,
          ...window,
        });
        break;
      }
      case "pin":
        pins.push({
          itemId: rule.itemId,
          position: rule.position,
          reason: `${label("pinned", rule)} at ${rule.position}`,
          ...window,
        });
        break;
      case "diversity":
        features.add(rule.feature);
        caps.push({ feature: rule.feature, max: rule.maxPerValue, topK: rule.topK, ...window });
        break;
    }
  }
  pins.sort((a, b) => a.position - b.position);
  const pinsById = new Map<string, CompiledPin[]>();
  for (const pin of pins) pinsById.set(pin.itemId, [...(pinsById.get(pin.itemId) ?? []), pin]);
  return { version, filters, weights, pins, pinsById, caps, itemFeatures: [...features] };
}

/** No rules: scores pass through unchanged. */
export const NO_RULES: CompiledRules = compileRules([]);
