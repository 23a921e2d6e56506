import { describe, expect, it } from "vitest";
import type {
  BranchFreeForest,
  ScoringRules,
} from "../../src/models/branch-free/branch-free-forest.js";
import {
  addTreesBranchFree,
  compileTreeKernel,
  type TreeKernel,
} from "../../src/models/branch-free/branch-free-kernel.js";
import {
  compileWasmTreeKernel,
  float32Below,
  float64Below,
} from "../../src/models/branch-free/wasm-kernel.js";
import { LightgbmModel } from "../../src/models/lightgbm/lightgbm-model.js";
import { parseLightgbm } from "../../src/models/lightgbm/parse-lightgbm.js";
import { lightgbmToBranchFree } from "../../src/models/lightgbm/to-branch-free.js";
import { parseModelJson } from "../../src/models/load-model.js";
import type { FeatureMatrix, Model } from "../../src/models/model.js";
import {
  syntheticLightgbmText,
  syntheticMatrix,
  syntheticXgboostJson,
} from "../../src/models/synthetic/synthetic-forests.js";
import { parseXgboost } from "../../src/models/xgboost/parse-xgboost.js";
import { xgboostToBranchFree } from "../../src/models/xgboost/to-branch-free.js";
import { XgboostModel } from "../../src/models/xgboost/xgboost-model.js";
import {
  generatedCases,
  listFixtures,
  matrixFromRows,
  readFixture,
  readJson,
  requireFixtures,
} from "./reference-fixtures.js";

const XGBOOST: ScoringRules = { compare: "<", float32Sum: true };
const LIGHTGBM: ScoringRules = { compare: "<=", float32Sum: false };

/** The bits of every value, so +0/−0 and NaN payloads count: "bit-identical" means this. */
const bits = (values: Float64Array) => Array.from(new BigInt64Array(values.slice().buffer));

function xgboost(json: string, kernel: "wasm" | "specialised") {
  return new XgboostModel(parseXgboost(parseModelJson(json, "xgboost-json")), { kernel });
}
function lightgbm(text: string, kernel: "wasm" | "specialised") {
  return new LightgbmModel(parseLightgbm(text), { kernel });
}

/** Raw and transformed outputs of both models, as bits. */
function expectSameScores(wasm: Model, js: Model, matrix: FeatureMatrix, rows: number): void {
  expect(bits(wasm.predictRaw(matrix, rows))).toEqual(bits(js.predictRaw(matrix, rows)));
  expect(bits(wasm.predict(matrix, rows))).toEqual(bits(js.predict(matrix, rows)));
}

/** The synthetic XGBoost forest made multiclass: trees round-robin over `classes` outputs. */
function multiclassXgboost(json: string, classes: number): string {
  const doc = JSON.parse(json);
  const learner = doc.learner;
  learner.learner_model_param.num_class = String(classes);
  learner.learner_model_param.base_score = "[0E0]";
  learner.objective = {
    name: "multi:softprob",
    softmax_multiclass_param: { num_class: String(classes) },
  };
  const model = learner.gradient_booster.model;
  model.tree_info = model.tree_info.map((_: number, t: number) => t % classes);
  return JSON.stringify(doc);
}

function multiclassLightgbm(text: string, classes: number): string {
  return text
    .replace("num_class=1", `num_class=${classes}`)
    .replace("num_tree_per_iteration=1", `num_tree_per_iteration=${classes}`)
    .replace("objective=binary sigmoid:1", `objective=multiclass num_class:${classes}`);
}

describe("WebAssembly tree kernel scores bit-identically to the JS kernel", () => {
  // The bench's forest: 300 trees of depth 6 over 40 features, 20% of the values missing.
  const forest = { trees: 300, depth: 6, features: 40, seed: 42 };
  const xgboostJson = syntheticXgboostJson(forest);
  const lightgbmText = syntheticLightgbmText(forest);

  it("compiles for the synthetic forests (so the comparisons below are not JS against JS)", () => {
    const xgb = xgboostToBranchFree(parseXgboost(JSON.parse(xgboostJson)).forest);
    const lgb = lightgbmToBranchFree(parseLightgbm(lightgbmText).forest, 1);
    const js = (() => undefined) as TreeKernel;
    const shape = { features: 40, outputs: 1 };
    expect(xgb && compileWasmTreeKernel(xgb, XGBOOST, shape, js)).toBeTypeOf("function");
    expect(lgb && compileWasmTreeKernel(lgb, LIGHTGBM, shape, js)).toBeTypeOf("function");
  });

  // 203 and 1 leave rows outside the 8-row blocks; 1,000 outgrows the first memory.
  describe.each([200, 203, 1, 1_000])("%i rows", (rows) => {
    it.each(["f32", "f64"] as const)("XGBoost and LightGBM, %s input", (array) => {
      const f32 = syntheticMatrix(rows, 40, rows, 0.2);
      const matrix = array === "f32" ? f32 : Float64Array.from(f32, (v, i) => v + i * 1e-9);
      expectSameScores(
        xgboost(xgboostJson, "wasm"),
        xgboost(xgboostJson, "specialised"),
        matrix,
        rows,
      );
      expectSameScores(
        lightgbm(lightgbmText, "wasm"),
        lightgbm(lightgbmText, "specialised"),
        matrix,
        rows,
      );
    });
  });

  it("adds each tree to its own output when there are several (width 3, groups 0..2)", () => {
    const matrix = syntheticMatrix(101, 40, 5, 0.2);
    const xgb = multiclassXgboost(xgboostJson, 3);
    const lgb = multiclassLightgbm(lightgbmText, 3);
    expect(xgboost(xgb, "wasm").numOutputs).toBe(3);
    expect(lightgbm(lgb, "wasm").numOutputs).toBe(3);
    expectSameScores(xgboost(xgb, "wasm"), xgboost(xgb, "specialised"), matrix, 101);
    expectSameScores(lightgbm(lgb, "wasm"), lightgbm(lgb, "specialised"), matrix, 101);
  });

  it("keeps scoring right when one model is called with different matrices in turn", () => {
    const wasm = xgboost(xgboostJson, "wasm");
    const js = xgboost(xgboostJson, "specialised");
    for (const [rows, seed] of [
      [300, 1],
      [7, 2],
      [300, 3],
    ] as const) {
      const matrix = syntheticMatrix(rows, 40, seed, 0.1);
      expectSameScores(wasm, js, matrix, rows);
    }
  });
});

describe("WebAssembly tree kernel on the reference fixtures", () => {
  const xgboostCases = [
    ...listFixtures("xgboost/gbtree/inference", ".model.json").map((n) => ({
      model: readFixture(`xgboost/gbtree/inference/${n}.model.json`),
      input: readJson<{
        features: Array<Array<number | null>>;
        num_rows: number;
        num_features: number;
      }>(`xgboost/gbtree/inference/${n}.input.json`),
    })),
    ...generatedCases("xgboost").names.map((name) => {
      const cases = generatedCases("xgboost");
      return {
        model: cases.text(name, "model.json"),
        input: cases.json<{
          features: Array<Array<number | null>>;
          num_rows: number;
          num_features: number;
        }>(name, "input.json"),
      };
    }),
  ];
  const lightgbmCases = [
    ...listFixtures("lightgbm/inference", "")
      .filter((name) => !name.includes("."))
      .map((name) => ({
        model: readFixture(`lightgbm/inference/${name}/model.txt`),
        input: readJson<{
          data: Array<Array<number | null>>;
          num_samples: number;
          num_features: number;
        }>(`lightgbm/inference/${name}/input.json`),
      })),
    ...generatedCases("lightgbm").names.map((name) => {
      const cases = generatedCases("lightgbm");
      return {
        model: cases.text(name, "model.txt"),
        input: cases.json<{
          data: Array<Array<number | null>>;
          num_samples: number;
          num_features: number;
        }>(name, "input.json"),
      };
    }),
  ];

  it("matches the JS kernel's bits on every XGBoost case, float32 and float64 input", () => {
    requireFixtures();
    expect(xgboostCases.length).toBe(29);
    let compiled = 0;
    for (const { model, input } of xgboostCases) {
      const parsed = parseXgboost(parseModelJson(model, "xgboost-json"));
      const forest = parsed.forest.weights ? undefined : xgboostToBranchFree(parsed.forest);
      const shape = { features: parsed.numFeatures, outputs: parsed.numOutputs };
      if (forest) {
        // Every forest the JS branch-free kernel takes, the WebAssembly one takes too.
        expect(compileWasmTreeKernel(forest, XGBOOST, shape, () => {})).toBeTypeOf("function");
        compiled++;
      }
      for (const array of ["f32", "f64"] as const) {
        const matrix = matrixFromRows(input.features, input.num_features, array);
        expectSameScores(
          xgboost(model, "wasm"),
          xgboost(model, "specialised"),
          matrix,
          input.num_rows,
        );
      }
    }
    // All but DART and categorical models take the branch-free layout.
    expect(compiled).toBe(24);
  });

  it("matches the JS kernel's bits on every LightGBM case, float32 and float64 input", () => {
    requireFixtures();
    expect(lightgbmCases.length).toBe(16);
    let compiled = 0;
    for (const { model, input } of lightgbmCases) {
      const parsed = parseLightgbm(model);
      const forest = lightgbmToBranchFree(parsed.forest, parsed.numOutputs);
      const shape = { features: parsed.numFeatures, outputs: parsed.numOutputs };
      if (forest) {
        expect(compileWasmTreeKernel(forest, LIGHTGBM, shape, () => {})).toBeTypeOf("function");
        compiled++;
      }
      for (const array of ["f32", "f64"] as const) {
        const matrix = matrixFromRows(input.data, input.num_features, array);
        expectSameScores(
          lightgbm(model, "wasm"),
          lightgbm(model, "specialised"),
          matrix,
          input.num_samples,
        );
      }
    }
    // All but linear, categorical and zero-as-missing models.
    expect(compiled).toBe(13);
  });
});

/**
 * A forest of stumps on feature 0, one per (threshold, missing direction),
 * leaves `2t + 1` (left) and `2t + 2` (right) in precision `values`; tree t
 * adds to output `t % width`.
 */
function stumps(
  thresholds: number[],
  values: Float32ArrayConstructor | Float64ArrayConstructor,
  width: number,
): BranchFreeForest {
  const cases = thresholds.flatMap((t) => [
    [t, 0],
    [t, 1],
  ]);
  const n = cases.length * 3;
  const f: BranchFreeForest = {
    feature: new Int32Array(n),
    child: new Int32Array(n),
    threshold: new values(n),
    missingLeft: new Int32Array(n),
    leaf: new values(n),
    roots: Int32Array.from(cases, (_, t) => 3 * t),
    depth: new Int32Array(cases.length).fill(1),
    group: Int32Array.from(cases, (_, t) => t % width),
  };
  cases.forEach(([threshold, missingLeft], t) => {
    const at = 3 * t;
    f.child.set([at + 1, at, at + 1], at);
    f.threshold.set([threshold as number, Number.NaN, Number.NaN], at);
    f.missingLeft[at] = missingLeft as number;
    f.leaf.set([0, 2 * t + 1, 2 * t + 2], at);
  });
  return f;
}

describe("WebAssembly tree kernel decides every split as the JS kernel does", () => {
  const tiny32 = 2 ** -149;
  const specials = [
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    0,
    -0,
    tiny32,
    -tiny32,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    0.5,
    Math.fround(0.1),
    0.1,
    -1,
    3.4028234663852886e38,
    -3.4028234663852886e38,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
  ];
  // Every threshold, the values next to it in both precisions, and NaN, as inputs.
  const inputs = [
    ...new Set(
      specials.flatMap((t) => [
        t,
        float32Below(t),
        -float32Below(-t),
        float64Below(t),
        -float64Below(-t),
      ]),
    ),
    Number.NaN,
  ];

  it.each([
    ["XGBoost (<, float32)", XGBOOST, Float32Array],
    ["LightGBM (<=, float64)", LIGHTGBM, Float64Array],
  ] as const)("%s: thresholds at ±0, ±∞, subnormals and float limits", (_, rules, precision) => {
    const width = 3;
    const forest = stumps(specials, precision, width);
    // Walked 3 steps, not 1: the leaves must absorb two more.
    forest.depth.fill(3);
    const wasm = compileWasmTreeKernel(forest, rules, { features: 2, outputs: width }, () => {});
    expect(wasm).toBeTypeOf("function");
    for (const array of [Float32Array, Float64Array]) {
      // XGBoost models hand the kernel float32 rows; LightGBM either.
      if (precision === Float32Array && array === Float64Array) continue;
      const matrix = array.from(inputs.flatMap((x) => [x, 7]));
      const rows = inputs.length;
      const expected = Float64Array.from({ length: rows * width }, (_, i) => Math.fround(i / 7));
      const actual = expected.slice();
      addTreesBranchFree(forest, rules, matrix, rows, 2, width, expected);
      (wasm as TreeKernel)(matrix, rows, 2, width, actual);
      expect(bits(actual)).toEqual(bits(expected));
      // And it is not a constant: stumps send values both ways.
      expect(new Set(actual).size).toBeGreaterThan(rows);
    }
  });

  it("declines a NaN threshold on a split that sends missing values left, takes one that sends them right", () => {
    const js = (() => {}) as TreeKernel;
    // Two stumps at NaN: the second sends missing values left.
    const forest = stumps([Number.NaN], Float32Array, 1);
    expect(compileWasmTreeKernel(forest, XGBOOST, { features: 2, outputs: 1 }, js)).toBeUndefined();
    forest.missingLeft[3] = 0;
    const wasm = compileWasmTreeKernel(forest, XGBOOST, { features: 2, outputs: 1 }, js);
    const matrix = Float32Array.from([0, 0, Number.NaN, 0, 1e30, 0]);
    const out = new Float64Array(3);
    (wasm as TreeKernel)(matrix, 3, 2, 1, out);
    // x < NaN is false: every row goes right in both (leaves 2 and 4).
    expect(Array.from(out)).toEqual([6, 6, 6]);
  });

  it("hands calls with another stride or width to the fallback", () => {
    const forest = stumps([0.5], Float32Array, 1);
    const fallback = compileTreeKernel(forest, XGBOOST);
    const wasm = compileWasmTreeKernel(forest, XGBOOST, { features: 2, outputs: 1 }, fallback);
    const matrix = Float32Array.from([0.25, 9, 9, 0.75, 9, 9]);
    const out = new Float64Array(2);
    (wasm as TreeKernel)(matrix, 2, 3, 1, out);
    // Row 0 goes left in both stumps (leaves 1 and 3), row 1 right (2 and 4).
    expect(Array.from(out)).toEqual([4, 6]);
  });

  it("refuses a forest that reads outside the row or writes outside the outputs", () => {
    const js = (() => {}) as TreeKernel;
    const forest = stumps([0.5], Float32Array, 1);
    expect(compileWasmTreeKernel(forest, XGBOOST, { features: 2, outputs: 1 }, js)).toBeDefined();
    forest.feature[0] = 2;
    expect(compileWasmTreeKernel(forest, XGBOOST, { features: 2, outputs: 1 }, js)).toBeUndefined();
    forest.feature[0] = 0;
    forest.group[1] = 1;
    expect(compileWasmTreeKernel(forest, XGBOOST, { features: 2, outputs: 1 }, js)).toBeUndefined();
  });
});

describe("float32Below / float64Below", () => {
  it("give the next value down, below both zeros, and NaN where there is none", () => {
    expect(float32Below(1)).toBe(1 - 2 ** -24);
    expect(float32Below(-1)).toBe(-(1 + 2 ** -23));
    expect(float32Below(0)).toBe(-(2 ** -149));
    expect(float32Below(-0)).toBe(-(2 ** -149));
    expect(float32Below(Number.POSITIVE_INFINITY)).toBe(3.4028234663852886e38);
    expect(float32Below(Number.NEGATIVE_INFINITY)).toBeNaN();
    expect(float32Below(Number.NaN)).toBeNaN();
    expect(float64Below(1)).toBe(1 - 2 ** -53);
    expect(float64Below(-1)).toBe(-(1 + 2 ** -52));
    expect(float64Below(0)).toBe(-Number.MIN_VALUE);
    expect(float64Below(Number.POSITIVE_INFINITY)).toBe(Number.MAX_VALUE);
    expect(float64Below(Number.NEGATIVE_INFINITY)).toBeNaN();
  });
});
