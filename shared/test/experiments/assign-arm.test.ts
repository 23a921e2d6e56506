import { describe, expect, it } from "vitest";
import { armFor, assignArm, compileExperiment, hashUnit } from "#shared/experiments/assign-arm";
import { ExperimentConfig, ExperimentPutRequest } from "#shared/experiments/experiment-config";
import { describeZodIssues } from "#shared/http/api-error";

const SPLIT = ExperimentConfig.parse({
  salt: "home-2026-11",
  arms: [
    { name: "control", modelId: "ranker", version: 3, weight: 90 },
    { name: "treat", modelId: "ranker", version: 4, weight: 10 },
  ],
});
const UNITS = Array.from({ length: 10_000 }, (_, i) => `u${String(i).padStart(5, "0")}`);

function shares(config: ExperimentConfig): Map<string, number> {
  const experiment = compileExperiment(config);
  const counts = new Map<string, number>();
  for (const unit of UNITS) {
    const arm = assignArm(experiment, unit).name;
    counts.set(arm, (counts.get(arm) ?? 0) + 1);
  }
  return counts;
}

describe("assignArm", () => {
  it("is deterministic: the same unit gets the same arm, in a fresh compile too", () => {
    const a = compileExperiment(SPLIT);
    const b = compileExperiment(structuredClone(SPLIT));
    for (const unit of UNITS.slice(0, 500)) {
      expect(assignArm(a, unit)).toEqual(assignArm(b, unit));
    }
    // Pinned values: every process and region must agree, and a changed hash would
    // silently reshuffle every running experiment.
    expect(hashUnit("")).toBe(2872998923);
    expect(hashUnit("a")).toBe(444641715);
    expect(hashUnit("home-2026-11:u00001")).toBe(2042490428);
  });

  it("splits 10k ids by weight within tolerance (90/10)", () => {
    const counts = shares(SPLIT);
    // ±1.5 points: 5 standard deviations of a 10% share over 10k units (σ = 0.3 points).
    expect(counts.get("treat") ?? 0).toBeGreaterThan(850);
    expect(counts.get("treat") ?? 0).toBeLessThan(1150);
    expect((counts.get("control") ?? 0) + (counts.get("treat") ?? 0)).toBe(10_000);
  });

  it("splits three unequal arms by weight", () => {
    const counts = shares({
      salt: "s",
      arms: [
        { name: "a", modelId: "m", version: 1, weight: 50 },
        { name: "b", modelId: "m", version: 2, weight: 30 },
        { name: "c", modelId: "m", version: 3, weight: 20 },
      ],
    });
    for (const [arm, expected] of [
      ["a", 5000],
      ["b", 3000],
      ["c", 2000],
    ] as const) {
      expect(Math.abs((counts.get(arm) ?? 0) - expected)).toBeLessThan(250);
    }
  });

  it("keeps units on their arm while weights are unchanged, even when models change", () => {
    const before = compileExperiment(SPLIT);
    const after = compileExperiment({
      ...SPLIT,
      arms: SPLIT.arms.map((arm) => ({ ...arm, version: (arm.version ?? 1) + 10 })),
    });
    for (const unit of UNITS) {
      expect(assignArm(after, unit).name).toBe(assignArm(before, unit).name);
    }
  });

  it("moves only the units it must when the treatment grows (ramp-up)", () => {
    const small = compileExperiment(SPLIT);
    const larger = compileExperiment({
      ...SPLIT,
      arms: [
        { name: "control", modelId: "ranker", version: 3, weight: 80 },
        { name: "treat", modelId: "ranker", version: 4, weight: 20 },
      ],
    });
    // control keeps [0, 80), treat grows to [80, 100): every treated unit stays treated.
    for (const unit of UNITS) {
      if (assignArm(small, unit).name === "treat")
        expect(assignArm(larger, unit).name).toBe("treat");
    }
  });

  it("reshuffles when the salt changes", () => {
    const a = compileExperiment(SPLIT);
    const b = compileExperiment({ ...SPLIT, salt: "other" });
    const moved = UNITS.filter((unit) => assignArm(a, unit).name !== assignArm(b, unit).name);
    expect(moved.length).toBeGreaterThan(1000);
  });
});

describe("armFor", () => {
  const experiment = compileExperiment(SPLIT);

  it("assigns by user id when there is one, else by session id", () => {
    const byUser = UNITS.slice(0, 200).map((u) =>
      armFor(experiment, { userId: u, sessionId: "s" }),
    );
    expect(byUser).toEqual(UNITS.slice(0, 200).map((u) => assignArm(experiment, u)));
    expect(armFor(experiment, { sessionId: "s-9" })).toEqual(assignArm(experiment, "s-9"));
  });

  it("answers null with no experiment or no unit id", () => {
    expect(armFor(null, { userId: "u1" })).toBeNull();
    expect(armFor(experiment, {})).toBeNull();
  });
});

describe("validation (.error)", () => {
  function refusal(body: unknown): string {
    const parsed = ExperimentPutRequest.safeParse(body);
    if (parsed.success) throw new Error("expected a refusal");
    return describeZodIssues(parsed.error);
  }
  const arm = { name: "a", modelId: "m", version: 1, weight: 1 };

  it("refuses non-positive weights, duplicate names and empty arms, naming the arm", () => {
    expect(refusal({ experiment: { salt: "s", arms: [{ ...arm, weight: 0 }] } })).toMatch(
      /^experiment\.arms\.0\.weight: /,
    );
    expect(refusal({ experiment: { salt: "s", arms: [arm, { ...arm, version: 2 }] } })).toBe(
      'experiment.arms.1.name: duplicate arm name "a" (also arm 0)',
    );
    expect(refusal({ experiment: { salt: "s", arms: [] } })).toMatch(/^experiment\.arms: /);
    expect(refusal({ experiment: { arms: [arm] } })).toMatch(/^experiment\.salt: /);
    expect(refusal({ experiment: { salt: "s", arms: [{ ...arm, version: 1.5 }] } })).toMatch(
      /^experiment\.arms\.0\.version: /,
    );
  });
});
