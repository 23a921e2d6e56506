import { z } from "zod";

/**
 * Business rules of one surface, as an admin writes them (`PUT /admin/rules/:surface`).
 * The schema is the contract and the validator: every refusal names the rule by
 * index and the field (`rules.3.weight: …`). Rules apply after model scoring;
 * see docs/rules.md for each kind with an example.
 */

/** Bounds a rule set so one bad upload cannot make every rank request slow. */
export const MAX_RULES = 200;
/** Bounds `in` lists and blocked values; larger lists belong in an item feature. */
const MAX_VALUES = 1_000;

const featureName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, "expected a feature name (lower case, digits, _)");
const scalar = z.union([z.string().max(256), z.number(), z.boolean()]);

/** A test on one item feature; `range` is [min, max) and needs at least one bound. */
export const Predicate = z.discriminatedUnion("op", [
  z.strictObject({ feature: featureName, op: z.literal("eq"), value: scalar }),
  z.strictObject({
    feature: featureName,
    op: z.literal("in"),
    values: z
      .array(z.union([z.string().max(256), z.number()]))
      .min(1)
      .max(MAX_VALUES),
  }),
  z
    .strictObject({
      feature: featureName,
      op: z.literal("range"),
      min: z.number().optional(),
      max: z.number().optional(),
    })
    .refine((p) => p.min !== undefined || p.max !== undefined, {
      message: "expected min, max or both",
      path: ["min"],
    })
    .refine((p) => p.min === undefined || p.max === undefined || p.min < p.max, {
      message: "expected min < max",
      path: ["max"],
    }),
]);
export type Predicate = z.infer<typeof Predicate>;

/** A promotion window: the rule is active for `start <= now < end` (ISO 8601 with offset). */
export const ActiveWindow = z
  .strictObject({
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
  })
  .refine((w) => Date.parse(w.start) < Date.parse(w.end), {
    message: "expected start before end",
    path: ["end"],
  });
export type ActiveWindow = z.infer<typeof ActiveWindow>;

/** Fields every rule may carry: a short name shown in reasons, and a promotion window. */
const common = {
  name: z.string().min(1).max(40).optional(),
  active: ActiveWindow.optional(),
};

/** Multiplier bounds: beyond ×100 a boost is a pin in disguise; say so with a pin. */
const weight = z.number().positive().max(100);

export const Rule = z.discriminatedUnion("kind", [
  /** Drops items whose stock feature (default `in_stock`) is not `true`. */
  z.strictObject({
    kind: z.literal("filter_out_of_stock"),
    feature: featureName.default("in_stock"),
    ...common,
  }),
  /** Drops items whose feature (e.g. `category`, `brand`) is one of `values`. */
  z.strictObject({
    kind: z.literal("filter_blocked"),
    feature: featureName,
    values: z.array(z.string().min(1).max(256)).min(1).max(MAX_VALUES),
    ...common,
  }),
  /** Drops items the user already bought (the caller passes `user.purchased`). */
  z.strictObject({ kind: z.literal("filter_purchased"), ...common }),
  /**
   * Drops items shown to this user or session more than `maxImpressions` times:
   * counts come from `user.impressions` (passed by the caller) or, if
   * `feature` is set, from that numeric item feature (e.g. an item×session count).
   */
  z.strictObject({
    kind: z.literal("filter_overexposed"),
    maxImpressions: z.number().int().min(0),
    feature: featureName.optional(),
    ...common,
  }),
  /** Multiplies the score of matching items by `weight` (> 1 raises them). */
  z.strictObject({ kind: z.literal("boost"), when: Predicate, weight, ...common }),
  /** Multiplies the score of matching items by `weight` (< 1 lowers them). */
  z.strictObject({
    kind: z.literal("bury"),
    when: Predicate,
    weight: z.number().positive().lt(1, "expected a weight below 1 (a bury lowers the score)"),
    ...common,
  }),
  /** Puts an item at a 1-based position if it is a candidate that survived the filters. */
  z.strictObject({
    kind: z.literal("pin"),
    itemId: z.string().min(1).max(128),
    position: z.number().int().min(1).max(1_000),
    ...common,
  }),
  /** At most `maxPerValue` items with the same value of `feature` in the top `topK`. */
  z.strictObject({
    kind: z.literal("diversity"),
    feature: featureName,
    maxPerValue: z.number().int().min(1),
    topK: z.number().int().min(1).max(1_000),
    ...common,
  }),
]);
export type Rule = z.infer<typeof Rule>;
export type RuleInput = z.input<typeof Rule>;

/** Checks across rules, each reported on the later rule's path. */
function crossRuleChecks(rules: readonly Rule[], ctx: z.RefinementCtx): void {
  const pinnedItems = new Map<string, number>();
  const pinnedPositions = new Map<number, number>();
  rules.forEach((rule, index) => {
    if (rule.kind === "diversity" && rule.maxPerValue >= rule.topK) {
      ctx.addIssue({
        code: "custom",
        message: `expected fewer than topK (${rule.topK}); this cap never applies`,
        path: ["rules", index, "maxPerValue"],
      });
    }
    if (rule.kind !== "pin" || rule.active) return; // windowed pins may take turns
    // An item or a position can be held by one always-on pin only.
    const claim = <K>(holders: Map<K, number>, key: K, field: string, conflict: string) => {
      const earlier = holders.get(key);
      if (earlier !== undefined) {
        ctx.addIssue({
          code: "custom",
          message: `${conflict} by rule ${earlier}`,
          path: ["rules", index, field],
        });
      }
      holders.set(key, index);
    };
    claim(pinnedItems, rule.itemId, "itemId", "item already pinned");
    claim(pinnedPositions, rule.position, "position", "position already taken");
  });
}

/** The body of `PUT /admin/rules/:surface`. */
export const RulesPutRequest = z
  .strictObject({
    rules: z.array(Rule).max(MAX_RULES),
    /** Optimistic concurrency: refuse (409) unless the stored version is this one (0 = none yet). */
    expectVersion: z.number().int().min(0).optional(),
  })
  .superRefine((body, ctx) => crossRuleChecks(body.rules, ctx));
export type RulesPutRequest = z.infer<typeof RulesPutRequest>;

/** What the store holds per surface and `GET /admin/rules/:surface` answers. */
export const RulesDocument = z.object({
  surface: z.string(),
  /** 0 = never set; +1 on every change. */
  version: z.number().int().min(0),
  updatedAt: z.number().int().min(0),
  rules: z.array(Rule),
});
export type RulesDocument = z.infer<typeof RulesDocument>;
