import { describe, expect, it } from "vitest";
import { FeatureDefinition } from "#shared/features/definitions";
import { buildSnapshot } from "../../src/features/registry/registry-snapshot.js";
import { readPlan } from "../../src/features/serving/read-plan.js";

const feature = (name: string, bin: string) =>
  FeatureDefinition.parse({
    entity: "thing",
    name,
    bin,
    type: "float",
    version: 1,
    updatedAt: 0,
  });

const snapshot = buildSnapshot({
  version: 1,
  entities: [{ name: "thing", keyParts: ["id"], description: "" }],
  features: [feature("a", "a"), feature("b", "b"), feature("c", "c")],
  regions: [],
  nextBin: 3,
});

describe("read plans", () => {
  it("finds a remembered feature list by identity, and never serves a changed list the old plan", () => {
    const names = ["a", "b"];
    const plan = readPlan(snapshot, "thing", names, true);
    expect(plan.features.map((f) => f.def.name)).toEqual(["a", "b"]);
    expect(readPlan(snapshot, "thing", names, true)).toBe(plan);
    // The same array, changed in place: its names decide, not its identity.
    names[1] = "c";
    const changed = readPlan(snapshot, "thing", names, true);
    expect(changed.features.map((f) => f.def.name)).toEqual(["a", "c"]);
    expect(changed.bins).toContain("c");
    expect(changed.bins).not.toContain("b");
  });

  it("shares one plan between equal lists, remembered or not", () => {
    const first = readPlan(snapshot, "thing", ["b", "c"]);
    expect(readPlan(snapshot, "thing", ["b", "c"])).toBe(first);
    expect(readPlan(snapshot, "thing", ["b", "c"], true)).toBe(first);
    expect(readPlan(snapshot, "thing", ["c", "b"])).not.toBe(first);
  });

  it("refuses an unknown entity or feature", () => {
    expect(() => readPlan(snapshot, "nope", ["a"])).toThrow(/unknown entity "nope"/);
    expect(() => readPlan(snapshot, "thing", ["a", "zz"], true)).toThrow(/unknown feature "zz"/);
  });
});
