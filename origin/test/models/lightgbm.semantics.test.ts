import { describe, expect, it } from "vitest";
import { KERNEL_CHOICES } from "../../src/models/branch-free/branch-free-kernel.js";
import { LightgbmModel } from "../../src/models/lightgbm/lightgbm-model.js";
import { parseLightgbm } from "../../src/models/lightgbm/parse-lightgbm.js";
import { loadModel } from "../../src/models/load-model.js";
import {
  syntheticLightgbmText,
  syntheticMatrix,
} from "../../src/models/synthetic/synthetic-forests.js";
import { lgbModel, lgbStump } from "./handmade-models.js";

const NAN = Number.NaN;
const raw = (text: string, values: number[], features = 2) =>
  Array.from(loadModel(text).predictRaw(Float64Array.from(values), values.length / features));
const col0 = (values: number[]) => values.flatMap((v) => [v, 0]);

describe("LightGBM split semantics", () => {
  it("goes left iff x <= threshold (double precision)", () => {
    const text = lgbModel({ trees: [lgbStump(0)] });
    expect(raw(text, col0([0.4, 0.5, 0.5000000001, 7]))).toEqual([1, 1, 2, 2]);
  });

  it("missing type None: NaN is treated as 0", () => {
    const text = lgbModel({ trees: [lgbStump(0, -1)] });
    // 0 > -1 goes right, so NaN (as 0) goes right too, whatever default_left says.
    expect(raw(text, col0([NAN, 0, -2]))).toEqual([2, 2, 1]);
    expect(raw(lgbModel({ trees: [lgbStump(2, -1)] }), col0([NAN]))).toEqual([2]);
  });

  it("missing type Zero: 0 (and NaN, as 0) follow default_left", () => {
    const left = lgbModel({ trees: [lgbStump(4 | 2, -1)] });
    expect(raw(left, col0([0, NAN, 1e-36, 0.2, -3]))).toEqual([1, 1, 1, 2, 1]);
    const right = lgbModel({ trees: [lgbStump(4, 5)] });
    expect(raw(right, col0([0, NAN, 0.2]))).toEqual([2, 2, 1]);
  });

  it("missing type NaN: NaN follows default_left, 0 is an ordinary value", () => {
    const left = lgbModel({ trees: [lgbStump(8 | 2, -1)] });
    expect(raw(left, col0([NAN, 0, -2]))).toEqual([1, 2, 1]);
    const right = lgbModel({ trees: [lgbStump(8, 5)] });
    expect(raw(right, col0([NAN, 0]))).toEqual([2, 1]);
  });

  it("categorical: categories in the bitset go left; NaN, negative and others go right", () => {
    // Two category sets; the split uses set 1 = {1, 33} (word 0 bit 1, word 1 bit 1).
    const text = lgbModel({
      trees: [
        {
          numLeaves: 2,
          splitFeature: [1],
          threshold: [1],
          decisionType: [1],
          left: [-1],
          right: [-2],
          leafValue: [10, 20],
          catBoundaries: [0, 1, 3],
          catThreshold: [0xffffffff, 2, 2],
        },
      ],
    });
    const cats = [1, 33, 1.9, 0, 2, 32, 64, 1000, -1, NAN];
    expect(
      raw(
        text,
        cats.flatMap((c) => [0, c]),
      ),
    ).toEqual([10, 10, 10, 20, 20, 20, 20, 20, 20, 20]);
  });

  it("sums trees per class, handles single-leaf trees, averages in predict() for average_output", () => {
    const trees = [lgbStump(0), { numLeaves: 1, leafValue: [0.25] }];
    expect(raw(lgbModel({ trees }), col0([0, 1]))).toEqual([1.25, 2.25]);
    const forest = loadModel(lgbModel({ trees, header: ["average_output"] }));
    const matrix = Float64Array.from(col0([0, 1]));
    expect(Array.from(forest.predictRaw(matrix, 2))).toEqual([1.25, 2.25]);
    expect(Array.from(forest.predict(matrix, 2))).toEqual([0.625, 1.125]);
  });

  it("linear leaves: constant + coefficients, the plain leaf value if an input is missing", () => {
    const text = lgbModel({
      trees: [
        {
          ...lgbStump(0),
          extra: [
            "is_linear=1",
            "leaf_const=0.5 -1",
            "num_features=1 2",
            "leaf_features=1 0 1",
            "leaf_coeff=2 3 -1",
          ],
        },
      ],
    });
    expect(raw(text, [0, 4, 2, 4, 0, NAN, 2, NAN])).toEqual([0.5 + 8, -1 + 6 - 4, 1, 2]);
  });
});

describe("LightGBM kernels", () => {
  it("score identically, for row counts that are not multiples of 4", () => {
    const text = syntheticLightgbmText({ trees: 40, depth: 5, features: 12, seed: 7 });
    const matrix = syntheticMatrix(203, 12, 9, 0.2);
    const results = KERNEL_CHOICES.map((kernel) =>
      Array.from(new LightgbmModel(parseLightgbm(text), { kernel }).predictRaw(matrix, 203)),
    );
    for (const result of results.slice(1)) expect(result).toEqual(results[0]);
    expect(new Set(results[0]).size).toBeGreaterThan(100);
  });
});

describe("LightGBM objectives", () => {
  const predict = (objective: string, values: number[], numClass = 1) => {
    const trees = Array.from({ length: numClass }, () => lgbStump(0));
    return Array.from(
      loadModel(lgbModel({ objective, numClass, trees })).predict(
        Float64Array.from(values),
        values.length / 2,
      ),
    );
  };

  it("binary sigmoid:k", () => {
    expect(predict("binary sigmoid:2", col0([0]))[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });

  it("multiclass softmax and multiclassova sigmoids", () => {
    const soft = predict("multiclass num_class:3", col0([0]), 3);
    expect(soft.map((p) => p * 3)).toEqual([1, 1, 1].map((v) => expect.closeTo(v, 12)));
    const ova = predict("multiclassova num_class:2 sigmoid:1", col0([1]), 2);
    expect(ova[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });

  it("regression (identity, sqrt), poisson / gamma / tweedie (exp), ranking (identity)", () => {
    expect(predict("regression", col0([1]))).toEqual([2]);
    expect(predict("regression sqrt", col0([1]))).toEqual([4]);
    expect(predict("poisson", col0([1]))[0]).toBeCloseTo(Math.exp(2), 12);
    expect(predict("lambdarank", col0([1]))).toEqual([2]);
    expect(predict("cross_entropy", col0([1]))[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });
});
