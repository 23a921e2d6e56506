import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/models/load-model.js";

const doc = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ format: "linear", version: 1, weights: [2, -1, 0.5], bias: 0.25, ...extra });

describe("linear / logistic model", () => {
  it("scores bias + w·x per row, identity link by default", () => {
    const model = loadModel(doc());
    expect(model).toMatchObject({
      format: "linear-json",
      objective: "linear:identity",
      numFeatures: 3,
      numOutputs: 1,
      numTrees: 0,
    });
    const matrix = Float32Array.from([1, 2, 4, 0, 0, 0]);
    expect(Array.from(model.predictRaw(matrix, 2))).toEqual([2.25, 0.25]);
    expect(Array.from(model.predict(matrix, 2))).toEqual([2.25, 0.25]);
  });

  it("applies the sigmoid link in predict() only", () => {
    const model = loadModel(doc({ link: "sigmoid" }));
    const matrix = Float64Array.from([1, 2, 4]);
    expect(model.predictRaw(matrix, 1)[0]).toBe(2.25);
    expect(model.predict(matrix, 1)[0]).toBeCloseTo(1 / (1 + Math.exp(-2.25)), 12);
  });

  it("imputes missing features (0 unless impute says otherwise)", () => {
    const matrix = Float32Array.from([Number.NaN, 2, Number.NaN]);
    expect(loadModel(doc()).predictRaw(matrix, 1)[0]).toBe(0.25 - 2);
    const imputed = loadModel(doc({ impute: [1, 0, 10] }));
    expect(imputed.predictRaw(matrix, 1)[0]).toBe(0.25 + 2 - 2 + 5);
  });

  it("keeps feature names for the retrieval graph to check column order", () => {
    expect(loadModel(doc({ featureNames: ["a", "b", "c"] })).featureNames).toEqual(["a", "b", "c"]);
  });
});
