import type { Predicate, Rule } from "#shared/rules/rules-config";
import type { RegistrySnapshot } from "../features/registry/registry-snapshot.js";

type ValueType = "int" | "float" | "bool" | "string" | "string_list" | "vector" | "map";

const NUMBER: readonly ValueType[] = ["int", "float"];
const TEXT: readonly ValueType[] = ["string", "string_list"];

function describe(types: readonly ValueType[]): string {
  return types.join(" or ");
}

function predicateTypes(predicate: Predicate): readonly ValueType[] {
  switch (predicate.op) {
    case "eq":
      if (typeof predicate.value === "boolean") return ["bool"];
      return typeof predicate.value === "number" ? NUMBER : TEXT;
    case "in":
      return predicate.values.every((v) => typeof v === "number") ? NUMBER : TEXT;
    case "range":
      return NUMBER;
  }
}

/** The item features a rule reads, each with where it is named and the types that make sense. */
function featureUses(rule: Rule): { path: string; feature: string; types: readonly ValueType[] }[] {
  switch (rule.kind) {
    case "filter_out_of_stock":
      return [{ path: "feature", feature: rule.feature, types: ["bool"] }];
    case "filter_blocked":
      return [{ path: "feature", feature: rule.feature, types: TEXT }];
    case "filter_overexposed":
      return rule.feature ? [{ path: "feature", feature: rule.feature, types: NUMBER }] : [];
    case "boost":
    case "bury":
      return [
        { path: "when.feature", feature: rule.when.feature, types: predicateTypes(rule.when) },
      ];
    case "diversity":
      return [{ path: "feature", feature: rule.feature, types: ["string", "int"] }];
    case "filter_purchased":
    case "pin":
      return [];
  }
}

/**
 * Checks the item features rules name against the feature registry: each
 * must be declared on `item` with a type the rule can read (a range needs a
 * number, a blocked list a string, a stock filter a bool). Returns every
 * problem as `rules.<index>.<field>: …`, or `null`. Run when rules are
 * uploaded; a feature deleted later only makes its rule never match.
 */
export function checkRuleFeatures(
  rules: readonly Rule[],
  registry: RegistrySnapshot,
): string | null {
  const item = registry.entities.get("item")?.features;
  const problems: string[] = [];
  rules.forEach((rule, index) => {
    for (const use of featureUses(rule)) {
      const where = `rules.${index}.${use.path}`;
      const feature = item?.get(use.feature);
      if (!feature) {
        problems.push(`${where}: unknown item feature "${use.feature}"`);
      } else if (!use.types.includes(feature.def.type)) {
        problems.push(
          `${where}: item feature "${use.feature}" is ${feature.def.type}; this rule needs ${describe(use.types)}`,
        );
      }
    }
  });
  return problems.length > 0 ? problems.join("; ") : null;
}
