import { describe, expect, it } from "vitest";
import { describeZodIssues } from "#shared/http/api-error";
import { type RuleInput, RulesPutRequest } from "#shared/rules/rules-config";
import {
  applyRules,
  type ItemFeatureValues,
  ruleItemFeatures,
} from "../../src/rules/apply-rules.js";
import { compileRules } from "../../src/rules/compile-rules.js";

const NOW = Date.parse("2026-11-20T12:00:00Z");

interface Item extends ItemFeatureValues {
  id: string;
  score: number;
}

/** Five items, scores descending; features like the demo catalog's. */
const CATALOG: Item[] = [
  { id: "a", score: 0.9, category: "shoes", brand: "acme", in_stock: true, price: 100 },
  { id: "b", score: 0.8, category: "shoes", brand: "zeta", in_stock: true, price: 250 },
  { id: "c", score: 0.7, category: "shoes", brand: "acme", in_stock: false, price: 80 },
  { id: "d", score: 0.6, category: "bags", brand: "zeta", in_stock: true, price: 900 },
  { id: "e", score: 0.5, category: "watches", brand: "omni", in_stock: true, price: 5000 },
];

function rulesOf(rules: RuleInput[]) {
  const parsed = RulesPutRequest.safeParse({ rules });
  if (!parsed.success) throw new Error(describeZodIssues(parsed.error));
  return compileRules(parsed.data.rules, 1);
}

function run(
  rules: RuleInput[],
  options: {
    items?: Item[];
    now?: number;
    purchased?: string[];
    impressions?: Record<string, number>;
  } = {},
) {
  const items = options.items ?? CATALOG;
  return applyRules({
    surface: "home",
    candidates: items.map(({ id, score }) => ({ id, score })),
    itemFeatures: items,
    user: {
      purchased: new Set(options.purchased ?? []),
      impressions: new Map(Object.entries(options.impressions ?? {})),
    },
    now: options.now ?? NOW,
    rules: rulesOf(rules),
  });
}

const ids = (result: ReturnType<typeof run>) => result.ranked.map((item) => item.id);

describe("no rules", () => {
  it("sorts by score and explains each item by its score", () => {
    const shuffled = [CATALOG[3], CATALOG[0], CATALOG[4], CATALOG[1], CATALOG[2]] as Item[];
    const result = run([], { items: shuffled });
    expect(ids(result)).toEqual(["a", "b", "c", "d", "e"]);
    expect(result.ranked[0]?.reasons).toEqual(["score 0.9"]);
    expect(result.removed).toEqual([]);
  });

  it("keeps the input order of equal scores (stable)", () => {
    const items = ["x", "y", "z"].map((id) => ({ id, score: 1 }));
    expect(ids(run([], { items }))).toEqual(["x", "y", "z"]);
  });
});

describe("filters", () => {
  it("removes out-of-stock items, and items with unknown stock", () => {
    const items = [...CATALOG, { id: "f", score: 0.95, category: "shoes" }];
    const result = run([{ kind: "filter_out_of_stock" }], { items });
    expect(ids(result)).toEqual(["a", "b", "d", "e"]);
    expect(result.removed).toEqual([
      { id: "c", reason: "out of stock" },
      { id: "f", reason: "out of stock" },
    ]);
  });

  it("removes blocked categories and brands", () => {
    const result = run([
      { kind: "filter_blocked", feature: "category", values: ["bags"] },
      { kind: "filter_blocked", feature: "brand", values: ["omni", "nobody"] },
    ]);
    expect(ids(result)).toEqual(["a", "b", "c"]);
    expect(result.removed).toEqual([
      { id: "d", reason: "blocked: category in [bags]" },
      { id: "e", reason: "blocked: brand in [omni, nobody]" },
    ]);
  });

  it("removes what the user already bought", () => {
    const result = run([{ kind: "filter_purchased" }], { purchased: ["b", "zz"] });
    expect(ids(result)).toEqual(["a", "c", "d", "e"]);
    expect(result.removed).toEqual([{ id: "b", reason: "already purchased" }]);
  });

  it("removes items shown too often, from the caller's counts or an item feature", () => {
    const fromUser = run([{ kind: "filter_overexposed", maxImpressions: 3 }], {
      impressions: { a: 4, b: 3 },
    });
    expect(fromUser.removed).toEqual([{ id: "a", reason: "shown too often: 4 impressions > 3" }]);
    const items = CATALOG.map((item, i) => ({ ...item, session_views: i }));
    const fromFeature = run(
      [{ kind: "filter_overexposed", maxImpressions: 2, feature: "session_views" }],
      { items },
    );
    expect(ids(fromFeature)).toEqual(["a", "b", "c"]);
  });

  it("names the first filter that removed an item", () => {
    const result = run([{ kind: "filter_out_of_stock" }, { kind: "filter_purchased" }], {
      purchased: ["c"],
    });
    expect(result.removed).toEqual([{ id: "c", reason: "out of stock" }]);
  });
});

describe("boost and bury", () => {
  it("multiplies matching scores, re-sorts, and explains each match", () => {
    const result = run([
      { kind: "boost", when: { feature: "brand", op: "in", values: ["zeta"] }, weight: 1.2 },
      { kind: "bury", when: { feature: "category", op: "eq", value: "shoes" }, weight: 0.5 },
    ]);
    // b: 0.8 × 1.2 × 0.5 = 0.48; d: 0.6 × 1.2 = 0.72; a: 0.45; c: 0.35; e: 0.5
    expect(ids(result)).toEqual(["d", "e", "b", "a", "c"]);
    const b = result.ranked.find((item) => item.id === "b");
    expect(b?.score).toBeCloseTo(0.48, 12);
    expect(b?.reasons).toEqual([
      "score 0.8",
      "boosted: brand in [zeta] ×1.2",
      "buried: category = shoes ×0.5",
    ]);
  });

  it("matches numeric ranges as [min, max)", () => {
    const result = run([
      { kind: "boost", when: { feature: "price", op: "range", min: 250, max: 900 }, weight: 2 },
      { kind: "bury", when: { feature: "price", op: "range", min: 5000 }, weight: 0.1 },
    ]);
    expect(ids(result)).toEqual(["b", "a", "c", "d", "e"]);
    expect(result.ranked[0]?.reasons).toContain("boosted: price in [250, 900) ×2");
    expect(result.ranked[4]?.reasons).toContain("buried: price ≥ 5000 ×0.1");
  });

  it("raises a negative score with a boost (divides instead of multiplying)", () => {
    const items = [
      { id: "n", score: -1, brand: "acme" },
      { id: "m", score: -0.6, brand: "zeta" },
    ];
    const result = run(
      [{ kind: "boost", when: { feature: "brand", op: "eq", value: "acme" }, weight: 2 }],
      { items },
    );
    expect(ids(result)).toEqual(["n", "m"]);
    expect(result.ranked[0]?.score).toBe(-0.5);
  });

  it("matches any element of a string-list feature", () => {
    const items = [
      { id: "p", score: 0.1, tags: ["sale", "new"] },
      { id: "q", score: 0.2, tags: ["old"] },
    ];
    const result = run(
      [{ kind: "boost", when: { feature: "tags", op: "in", values: ["sale"] }, weight: 3 }],
      { items },
    );
    expect(ids(result)).toEqual(["p", "q"]);
  });
});

describe("pins", () => {
  it("puts a surviving candidate at its 1-based position", () => {
    const result = run([
      { kind: "pin", itemId: "e", position: 1 },
      { kind: "pin", itemId: "d", position: 3 },
    ]);
    expect(ids(result)).toEqual(["e", "a", "d", "b", "c"]);
    expect(result.ranked[0]?.reasons).toEqual(["score 0.5", "pinned at 1"]);
  });

  it("ignores a pin of an item that is not a candidate or was filtered", () => {
    const result = run([
      { kind: "filter_out_of_stock" },
      { kind: "pin", itemId: "c", position: 1 },
      { kind: "pin", itemId: "ghost", position: 2 },
    ]);
    expect(ids(result)).toEqual(["a", "b", "d", "e"]);
  });

  it("puts a pin past the end of the list last", () => {
    expect(ids(run([{ kind: "pin", itemId: "a", position: 50 }]))).toEqual([
      "b",
      "c",
      "d",
      "e",
      "a",
    ]);
  });
});

describe("diversity caps", () => {
  it("moves items over the cap down, keeping everything else in order", () => {
    const items: Item[] = [
      { id: "s1", score: 0.9, category: "shoes" },
      { id: "s2", score: 0.8, category: "shoes" },
      { id: "s3", score: 0.7, category: "shoes" },
      { id: "s4", score: 0.6, category: "shoes" },
      { id: "b1", score: 0.5, category: "bags" },
      { id: "w1", score: 0.4, category: "watches" },
      { id: "x", score: 0.3 },
    ];
    const result = run([{ kind: "diversity", feature: "category", maxPerValue: 2, topK: 4 }], {
      items,
    });
    expect(ids(result)).toEqual(["s1", "s2", "b1", "w1", "s3", "s4", "x"]);
    expect(result.ranked[4]?.reasons).toEqual([
      "score 0.7",
      "capped: 2 of category shoes in top 4",
    ]);
  });

  it("applies category and brand caps together", () => {
    const result = run([
      { kind: "diversity", feature: "category", maxPerValue: 1, topK: 3 },
      { kind: "diversity", feature: "brand", maxPerValue: 1, topK: 3 },
    ]);
    // a (shoes, acme); b is shoes; c is shoes; d (bags, zeta); e (watches, omni)
    expect(ids(result)).toEqual(["a", "d", "e", "b", "c"]);
  });

  it("counts pinned items towards the cap and never moves them", () => {
    const result = run([
      { kind: "pin", itemId: "c", position: 2 },
      { kind: "diversity", feature: "category", maxPerValue: 2, topK: 3 },
    ]);
    // slot 1: a (shoes), slot 2: c pinned (shoes), slot 3: b would be the third shoe → d
    expect(ids(result)).toEqual(["a", "c", "d", "b", "e"]);
  });

  it("fills the list with capped items when nothing else is left", () => {
    const items = ["s1", "s2", "s3"].map((id, i) => ({ id, score: 1 - i / 10, category: "shoes" }));
    const result = run([{ kind: "diversity", feature: "category", maxPerValue: 1, topK: 3 }], {
      items,
    });
    expect(ids(result)).toEqual(["s1", "s2", "s3"]);
  });
});

describe("promotion windows (injected clock)", () => {
  const promo: RuleInput = {
    kind: "boost",
    name: "diwali",
    when: { feature: "brand", op: "eq", value: "omni" },
    weight: 10,
    active: { start: "2026-11-01T00:00:00Z", end: "2026-11-20T12:00:00Z" },
  };

  it("applies a rule only for start <= now < end", () => {
    const start = Date.parse("2026-11-01T00:00:00Z");
    const end = Date.parse("2026-11-20T12:00:00Z");
    expect(ids(run([promo], { now: start - 1 }))[0]).toBe("a");
    expect(ids(run([promo], { now: start }))[0]).toBe("e");
    expect(ids(run([promo], { now: end - 1 }))[0]).toBe("e");
    expect(ids(run([promo], { now: end }))[0]).toBe("a");
    expect(run([promo], { now: start }).ranked[0]?.reasons).toContain(
      "boosted (diwali): brand = omni ×10",
    );
  });

  it("windows filters, pins and caps too", () => {
    const active = { start: "2026-11-20T00:00:00Z", end: "2026-11-21T00:00:00Z" };
    const rules: RuleInput[] = [
      { kind: "filter_blocked", feature: "category", values: ["bags"], active },
      { kind: "pin", itemId: "e", position: 1, active },
    ];
    expect(ids(run(rules))).toEqual(["e", "a", "b", "c"]);
    expect(ids(run(rules, { now: Date.parse("2026-11-22T00:00:00Z") }))).toEqual([
      "a",
      "b",
      "c",
      "d",
      "e",
    ]);
  });
});

describe("what the caller fetches", () => {
  it("lists every item feature the rules read, once", () => {
    const rules = rulesOf([
      { kind: "filter_out_of_stock" },
      { kind: "filter_blocked", feature: "brand", values: ["x"] },
      { kind: "boost", when: { feature: "brand", op: "eq", value: "y" }, weight: 2 },
      { kind: "diversity", feature: "category", maxPerValue: 1, topK: 5 },
      { kind: "filter_purchased" },
    ]);
    expect([...ruleItemFeatures(rules)].sort()).toEqual(["brand", "category", "in_stock"]);
  });

  it("does not change the compiled rules between calls (pure)", () => {
    const rules = [
      { kind: "pin", itemId: "e", position: 1 },
      { kind: "diversity", feature: "category", maxPerValue: 1, topK: 2 },
    ] satisfies RuleInput[];
    expect(run(rules)).toEqual(run(rules));
  });
});

describe("validation (.error)", () => {
  function refusal(rules: unknown[]): string {
    const parsed = RulesPutRequest.safeParse({ rules });
    if (parsed.success) throw new Error("expected a refusal");
    return describeZodIssues(parsed.error);
  }

  it("points at the rule index and field", () => {
    expect(
      refusal([
        { kind: "filter_purchased" },
        { kind: "boost", when: { feature: "brand", op: "eq", value: "x" }, weight: -1 },
      ]),
    ).toMatch(/^rules\.1\.weight: /);
    expect(
      refusal([{ kind: "bury", when: { feature: "brand", op: "eq", value: "x" }, weight: 2 }]),
    ).toContain("rules.0.weight: expected a weight below 1");
    expect(refusal([{ kind: "teleport" }])).toMatch(/^rules\.0\.kind: /);
    expect(refusal([{ kind: "filter_purchased", colour: "red" }])).toContain("rules.0");
  });

  it("refuses empty or inverted ranges and windows", () => {
    expect(
      refusal([{ kind: "boost", when: { feature: "price", op: "range" }, weight: 2 }]),
    ).toContain("rules.0.when.min: expected min, max or both");
    expect(
      refusal([
        { kind: "boost", when: { feature: "price", op: "range", min: 5, max: 5 }, weight: 2 },
      ]),
    ).toContain("rules.0.when.max: expected min < max");
    expect(
      refusal([
        {
          kind: "filter_purchased",
          active: { start: "2026-11-02T00:00:00Z", end: "2026-11-01T00:00:00Z" },
        },
      ]),
    ).toContain("rules.0.active.end: expected start before end");
    expect(
      refusal([{ kind: "filter_purchased", active: { start: "yesterday", end: "today" } }]),
    ).toContain("rules.0.active.start");
  });

  it("refuses clashing pins and caps that never apply", () => {
    expect(
      refusal([
        { kind: "pin", itemId: "a", position: 1 },
        { kind: "pin", itemId: "b", position: 1 },
        { kind: "pin", itemId: "a", position: 3 },
      ]),
    ).toBe(
      "rules.1.position: position already taken by rule 0; rules.2.itemId: item already pinned by rule 0",
    );
    expect(refusal([{ kind: "diversity", feature: "brand", maxPerValue: 10, topK: 10 }])).toContain(
      "rules.0.maxPerValue: expected fewer than topK (10)",
    );
  });

  it("refuses more than 200 rules", () => {
    expect(refusal(Array.from({ length: 201 }, () => ({ kind: "filter_purchased" })))).toContain(
      "rules:",
    );
  });
});

describe("200 candidates", () => {
  it("applies a full rule set to 200 candidates", () => {
    const items: Item[] = Array.from({ length: 200 }, (_, i) => ({
      id: `i${i}`,
      score: Math.sin(i) + 1,
      category: `c${i % 7}`,
      brand: `b${i % 13}`,
      in_stock: i % 17 !== 0,
      price: i * 10,
    }));
    const result = run(
      [
        { kind: "filter_out_of_stock" },
        { kind: "filter_blocked", feature: "brand", values: ["b3"] },
        {
          kind: "boost",
          when: { feature: "category", op: "in", values: ["c1", "c2"] },
          weight: 1.3,
        },
        { kind: "bury", when: { feature: "price", op: "range", min: 1500 }, weight: 0.8 },
        { kind: "pin", itemId: "i5", position: 2 },
        { kind: "diversity", feature: "category", maxPerValue: 2, topK: 10 },
      ],
      { items },
    );
    expect(result.ranked.length + result.removed.length).toBe(200);
    expect(result.ranked[1]?.id).toBe("i5");
    const top = result.ranked.slice(0, 10).map((item) => items.find((x) => x.id === item.id));
    const perCategory = new Map<string, number>();
    for (const item of top) {
      const category = String(item?.category);
      perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
    }
    expect(Math.max(...perCategory.values())).toBeLessThanOrEqual(2);
    expect(new Set(result.ranked.map((item) => item.id)).size).toBe(result.ranked.length);
  });
});
