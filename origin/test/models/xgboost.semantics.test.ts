import { describe, expect, it } from "vitest";
import { KERNEL_CHOICES } from "../../src/models/branch-free/branch-free-kernel.js";
import { loadModel } from "../../src/models/load-model.js";
import {
  syntheticMatrix,
  syntheticXgboostJson,
} from "../../src/models/synthetic/synthetic-forests.js";
import { parseXgboost } from "../../src/models/xgboost/parse-xgboost.js";
import { XgboostModel } from "../../src/models/xgboost/xgboost-model.js";
import { STUMP, xgbModel, xgbTree } from "./handmade-models.js";

const load = (doc: unknown) => loadModel(JSON.stringify(doc));
const raw = (doc: unknown, values: number[], features = 2) =>
  Array.from(load(doc).predictRaw(Float32Array.from(values), values.length / features));

describe("XGBoost split semantics", () => {
  it("goes left iff float32(x) < float32(threshold); NaN follows default_left", () => {
    // Rows: below, equal (goes right), above, missing (default left).
    expect(raw(xgbModel({}), [0.4, 0, 0.5, 0, 0.6, 0, Number.NaN, 0])).toEqual([1.5, -2, -2, 1.5]);
    const right = { ...STUMP, defaultLeft: [0, 0, 0] };
    expect(raw(xgbModel({ trees: [xgbTree(right)] }), [Number.NaN, 0])).toEqual([-2]);
  });

  it("rounds float64 input to float32 before comparing, as XGBoost's DMatrix does", () => {
    // 0.50000001 rounds to 0.5 in float32, so it is not < 0.5 … and 0.49999999 rounds up to 0.5 too.
    const model = load(xgbModel({}));
    expect(Array.from(model.predictRaw(Float64Array.from([0.49999999, 0]), 1))).toEqual([-2]);
    expect(Array.from(model.predictRaw(Float64Array.from([0.4999999, 0]), 1))).toEqual([1.5]);
  });

  it("sends listed categories right, others and invalid ones left, NaN by default_left", () => {
    const tree = xgbTree({
      left: [1, -1, -1],
      right: [2, -1, -1],
      feature: [1, 0, 0],
      condition: [0, 10, 20],
      defaultLeft: [0, 0, 0],
      splitType: [1, 0, 0],
      categories: { 0: [1, 3, 40] },
    });
    const doc = xgbModel({ trees: [tree] });
    const rows = [1, 3, 40, 0, 2, 39, 41, 1000, -1, 16_777_216, 3.7, Number.NaN];
    expect(
      raw(
        doc,
        rows.flatMap((c) => [0, c]),
      ),
    ).toEqual([20, 20, 20, 10, 10, 10, 10, 10, 10, 10, 20, 20]);
  });

  it("reads the XGBoost 1.x layout: scalar base_score, no split types, boolean default_left", () => {
    const tree = xgbTree({ ...STUMP, defaultLeft: [true, false, false] });
    const doc = xgbModel({ trees: [tree], objective: "binary:logistic", baseScore: "5E-1" });
    (doc as { version: number[] }).version = [1, 7, 6];
    const model = load(doc);
    const matrix = Float32Array.from([0, 0, Number.NaN, 0, 1, 0]);
    expect(Array.from(model.predictRaw(matrix, 3))).toEqual([1.5, 1.5, -2]);
    const p = model.predict(matrix, 3);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 6);
    expect(p[2]).toBeCloseTo(1 / (1 + Math.exp(2)), 6);
  });

  it("turns base_score into the starting margin per objective", () => {
    const margin = (objective: string, baseScore: string, version = [3, 1, 1]) =>
      raw(xgbModel({ objective, baseScore, version }), [0, 0])[0] as number;
    expect(margin("reg:squarederror", "[2.5E0]")).toBeCloseTo(4, 6);
    expect(margin("binary:logistic", "[8E-1]")).toBeCloseTo(1.5 + Math.log(4), 5);
    expect(margin("count:poisson", "[2E0]")).toBeCloseTo(1.5 + Math.log(2), 5);
    // binary:logitraw: a margin since 1.6, a probability before.
    expect(margin("binary:logitraw", "[8E-1]")).toBeCloseTo(2.3, 5);
    expect(margin("binary:logitraw", "8E-1", [1, 5, 2])).toBeCloseTo(1.5 + Math.log(4), 5);
  });

  it("multi:softmax predicts the class index; multi:softprob the probabilities", () => {
    const leaf = (v: number) =>
      xgbTree({ left: [-1], right: [-1], feature: [0], condition: [v], defaultLeft: [0] });
    const trees = [leaf(0.1), leaf(0.7), leaf(0.3)];
    const base = { numClass: 3, trees, treeInfo: [0, 1, 2], baseScore: "[0E0,0E0,0E0]" };
    const softmax = load(xgbModel({ ...base, objective: "multi:softmax" }));
    expect(softmax.numOutputs).toBe(3);
    expect(softmax.numPredictOutputs).toBe(1);
    expect(Array.from(softmax.predict(new Float32Array(4), 2))).toEqual([1, 1]);
    const softprob = load(xgbModel({ ...base, objective: "multi:softprob" }));
    const p = softprob.predict(new Float32Array(2), 1);
    const z = Math.exp(0.1) + Math.exp(0.7) + Math.exp(0.3);
    expect(p[1]).toBeCloseTo(Math.exp(0.7) / z, 6);
  });

  it("scales each DART tree by its weight_drop", () => {
    const doc = xgbModel({
      booster: "dart",
      trees: [xgbTree(STUMP, 0), xgbTree(STUMP, 1)],
      weightDrop: [0.5, 0.25],
      baseScore: "[1E0]",
    });
    expect(raw(doc, [0, 0, 1, 0])).toEqual([1 + 0.75 * 1.5, 1 - 0.75 * 2]);
  });

  it("scores identically on every kernel, for row counts that are not multiples of 4", () => {
    const json = syntheticXgboostJson({ trees: 40, depth: 5, features: 12, seed: 7 });
    const matrix = syntheticMatrix(203, 12, 9, 0.2);
    const results = KERNEL_CHOICES.map((kernel) =>
      Array.from(
        new XgboostModel(parseXgboost(JSON.parse(json)), { kernel }).predictRaw(matrix, 203),
      ),
    );
    for (const result of results.slice(1)) expect(result).toEqual(results[0]);
    expect(new Set(results[0]).size).toBeGreaterThan(100);
  });
});

describe("Model scoring buffers", () => {
  const model = load(xgbModel({}));

  it("writes into the caller's output and returns it", () => {
    const out = new Float64Array(8).fill(9);
    expect(model.predictRaw(Float32Array.from([0, 0, 1, 0]), 2, out)).toBe(out);
    expect(Array.from(out.subarray(0, 3))).toEqual([1.5, -2, 9]);
  });

  it("refuses a matrix or an output that is too small", () => {
    expect(() => model.predictRaw(new Float32Array(3), 2)).toThrow(
      "feature matrix has 3 values, need 2 rows × 2 features = 4",
    );
    expect(() => model.predict(new Float32Array(4), 2, new Float64Array(1))).toThrow(
      "output has 1 slots, need 2 rows × 1",
    );
  });

  it("scores zero rows", () => {
    expect(model.predict(new Float32Array(0), 0)).toHaveLength(0);
  });
});
