import type { FeatureGroupRequest } from "#shared/features/serving";
import type { FeatureServices } from "../features/feature-services.js";
import type { ServedGroup } from "../features/serving/feature-server.js";
import type { ServedValue } from "../features/values.js";
import { applyRules } from "./apply-rules.js";
import type { CompiledRules, ItemFeatureValues, RuleFeatureValue } from "./compile-rules.js";
import type { RulesStore } from "./rules-store.js";

/** The user feature `filter_purchased` reads (a built-in stream feature, newest first). */
const PURCHASED_FEATURE = "purchased_items";

export interface RulesHookDeps {
  rules: RulesStore;
  features: Pick<FeatureServices, "registry" | "server">;
  now?: () => number;
}

/** A scored item as the rank pipeline carries it. */
export interface ScoredItem {
  id: string;
  score: number;
  reason: string;
}

export interface RulesHookContext {
  userId?: string;
  sessionId?: string;
  surface: string;
}

function hasRules(rules: CompiledRules): boolean {
  return rules.filters.length + rules.weights.length + rules.pins.length + rules.caps.length > 0;
}

function asRuleValue(value: unknown): RuleFeatureValue {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  return null; // vectors and maps: no rule reads them
}

/** Builds one item's rule values from its served row (values by feature position). */
type ValuesMaker = (values: readonly (ServedValue | null)[]) => ItemFeatureValues;

/** The last maker built for a rules version, with the feature list it was built for. */
const makers = new WeakMap<CompiledRules, { names: readonly string[]; make: ValuesMaker }>();

/**
 * The maker of item rule values for `names`, kept per rules version. Built
 * as one object literal with the names as JSON string keys, so every item's
 * object has the same shape from its creation: assigning ~4 names per item
 * one by one (a keyed store with a different name each time) was the
 * hook's most expensive line. Falls back to that loop where code generation
 * is not allowed.
 */
function valuesMaker(rules: CompiledRules, names: readonly string[]): ValuesMaker {
  const known = makers.get(rules);
  if (known && known.names.length === names.length && known.names.every((n, i) => n === names[i])) {
    return known.make;
  }
  let make: ValuesMaker | null = null;
  // Feature names are lowercase identifiers; `__proto__` in a literal would set the prototype.
  if (!names.includes("__proto__")) {
    const fields = names.map((name, f) => `${JSON.stringify(name)}: value(v[${f}])`);
    try {
      make = new Function("value", `return (v) => ({ ${fields.join(", ")} });`)(
        asRuleValue,
      ) as ValuesMaker;
    } catch {
      // Code generation disallowed: the loop below.
    }
  }
  make ??= (v) => {
    const values: Record<string, RuleFeatureValue> = {};
    names.forEach((name, f) => {
      values[name] = asRuleValue(v[f]);
    });
    return values;
  };
  makers.set(rules, { names: [...names], make });
  return make;
}

/**
 * The rank pipeline's business-rules step: the surface's rules
 * (`RulesStore.current`) applied to the model's list, with the item features
 * they read and the user's purchases fetched in one feature-server call.
 * Features a rule names that the registry does not declare are not fetched
 * (such a rule never matches) rather than failing the request. Removed items
 * leave the list; each kept item's reasons are joined with `; `.
 *
 * @example
 * rankCandidates({ ..., rules: businessRulesHook({ rules: deps.rules, features: deps.features }) }, request, id)
 */
export function businessRulesHook(deps: RulesHookDeps) {
  const now = deps.now ?? Date.now;
  return async (ranked: ScoredItem[], context: RulesHookContext): Promise<ScoredItem[]> => {
    const rules = deps.rules.current(context.surface);
    if (!hasRules(rules) || ranked.length === 0) return ranked;

    const entities = deps.features.registry.snapshot().entities;
    const itemDefs = entities.get("item")?.features;
    const itemFeatures = rules.itemFeatures.filter((name) => itemDefs?.has(name));
    const wantsPurchases =
      context.userId !== undefined && rules.filters.some((f) => f.kind === "purchased");
    const groups: FeatureGroupRequest[] = [];
    if (itemFeatures.length > 0) {
      groups.push({ entity: "item", keys: ranked.map((r) => r.id), features: itemFeatures });
    }
    if (wantsPurchases && context.userId) {
      groups.push({ entity: "user", keys: [context.userId], features: [PURCHASED_FEATURE] });
    }
    const served: ServedGroup[] = groups.length > 0 ? await deps.features.server.get(groups) : [];

    const items = itemFeatures.length > 0 ? served[0] : undefined;
    const make = valuesMaker(rules, itemFeatures);
    const none: readonly (ServedValue | null)[] = [];
    const perItem = new Array<ItemFeatureValues>(ranked.length);
    for (let i = 0; i < ranked.length; i++) perItem[i] = make(items?.rows[i]?.values ?? none);
    const purchasedRow = wantsPurchases ? served[served.length - 1]?.rows[0] : undefined;
    const purchased = asRuleValue(purchasedRow?.values[0]);

    const result = applyRules({
      surface: context.surface,
      candidates: ranked,
      itemFeatures: perItem,
      user: { purchased: new Set(Array.isArray(purchased) ? purchased : []) },
      now: now(),
      rules,
    });
    return result.ranked.map((item) => ({
      id: item.id,
      score: item.score,
      // Most items have one reason (their score): no join for them.
      reason: item.reasons.length === 1 ? (item.reasons[0] as string) : item.reasons.join("; "),
    }));
  };
}
