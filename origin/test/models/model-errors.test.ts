import { describe, expect, it } from "vitest";
import { ApiError } from "#shared/http/api-error";
import { loadModel, tryLoadModel } from "../../src/models/load-model.js";
import { ModelFormatError } from "../../src/models/model-format-error.js";
import { lgbModel, lgbStump, STUMP, xgbModel, xgbTree } from "./handmade-models.js";

/** The message a user uploading `source` would see. */
function refusal(source: string | Uint8Array): string {
  const result = tryLoadModel(source);
  if (result.ok) throw new Error("expected the model to be refused");
  return result.error.message;
}

const xgb = (doc: unknown) => refusal(JSON.stringify(doc));
const TREE0 = "learner.gradient_booster.model.trees[0]";

describe("model loader refuses malformed and unsupported models, naming the field", () => {
  it("is an ApiError (400 invalid_parameter) carrying the field", () => {
    const doc = xgbModel({});
    (
      doc as { learner: { learner_model_param: Record<string, unknown> } }
    ).learner.learner_model_param.num_feature = "x";
    const error = (() => {
      try {
        loadModel(JSON.stringify(doc));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_parameter",
      format: "xgboost-json",
      field: "learner.learner_model_param.num_feature",
      message:
        'xgboost-json model: learner.learner_model_param.num_feature: expected a finite number, got "x"',
    });
  });

  it("unrecognised files, binary files, broken JSON and the wrong expected format", () => {
    expect(refusal("hello")).toMatch(/^unrecognised model file: expected XGBoost JSON/);
    expect(refusal(new Uint8Array([0x7b, 0xff, 0xfe]))).toMatch(/not UTF-8 text/);
    expect(refusal('{"learner": {')).toMatch(/^xgboost-json model: not valid JSON \(/);
    expect(refusal('{"weights": [1]}')).toMatch(/JSON without a "learner" object/);
    expect(refusal('{"name":"tree","num_tree_per_iteration":1,"tree_info":[]}')).toMatch(
      /LightGBM dump_model\(\) JSON.*upload the save_model\(\) text file/,
    );
    expect(tryLoadModel(JSON.stringify(xgbModel({})), "lightgbm-text")).toMatchObject({
      ok: false,
      error: { message: "expected a lightgbm-text model, got xgboost-json" },
    });
  });

  it("accepts a leading byte-order mark", () => {
    expect(loadModel(`\uFEFF${JSON.stringify(xgbModel({}))}`).format).toBe("xgboost-json");
  });

  it("XGBoost: unsupported objective, booster and vector leaves", () => {
    expect(xgb(xgbModel({ objective: "reg:unknown" }))).toMatch(
      /^xgboost-json model: learner\.objective\.name: objective "reg:unknown" is not supported; supported: binary:logistic, /,
    );
    const linear = xgbModel({});
    (linear as { learner: { gradient_booster: unknown } }).learner.gradient_booster = {
      name: "gblinear",
      model: {},
    };
    expect(xgb(linear)).toMatch(
      /learner\.gradient_booster\.name: booster "gblinear" is not supported/,
    );
    const vector = xgbTree(STUMP);
    (vector.tree_param as Record<string, string>).size_leaf_vector = "3";
    expect(xgb(xgbModel({ trees: [vector] }))).toBe(
      `xgboost-json model: ${TREE0}.tree_param.size_leaf_vector: vector leaves (multi_strategy="multi_output_tree") are not supported, got 3`,
    );
  });

  it("XGBoost: base_score of the wrong shape or with no margin", () => {
    expect(xgb(xgbModel({ baseScore: "[1E0,2E0]" }))).toBe(
      "xgboost-json model: learner.learner_model_param.base_score: expected 1 value, got 2",
    );
    expect(xgb(xgbModel({ objective: "binary:logistic", baseScore: "[1E0]" }))).toBe(
      "xgboost-json model: learner.learner_model_param.base_score: base score 1 has no finite margin for this objective",
    );
  });

  it("XGBoost: tree arrays of the wrong length, bad children, features out of range, cycles", () => {
    const short = xgbTree(STUMP);
    short.left_children = [1, -1];
    expect(xgb(xgbModel({ trees: [short] }))).toBe(
      `xgboost-json model: ${TREE0}.left_children: expected 3 entries, got 2`,
    );
    const wrongChild = xgbTree({ ...STUMP, right: [7, -1, -1] });
    expect(xgb(xgbModel({ trees: [wrongChild] }))).toBe(
      `xgboost-json model: ${TREE0}.right_children[0]: child 7 is not a node`,
    );
    const wrongFeature = xgbTree({ ...STUMP, feature: [5, 0, 0] });
    expect(xgb(xgbModel({ trees: [wrongFeature] }))).toBe(
      `xgboost-json model: ${TREE0}.split_indices[0]: feature 5 is outside 0..1 (num_feature = 2)`,
    );
    const cycle = xgbTree({ ...STUMP, left: [1, 0, -1], right: [2, 2, -1] });
    expect(xgb(xgbModel({ trees: [cycle] }))).toMatch(/reached twice \(the tree has a cycle\)/);
    // XGBoost 1.x writes a bare NaN for categorical splits; anywhere else it is refused.
    const bareNaN = JSON.stringify(xgbModel({})).replace("[0.5,1.5,-2]", "[0.5,NaN,-2]");
    expect(refusal(bareNaN)).toBe(
      `xgboost-json model: ${TREE0}.split_conditions[1]: expected a finite number (the leaf value), got null`,
    );
    const notNumber = xgbTree(STUMP);
    notNumber.split_conditions = [0.5, "x", 1];
    expect(xgb(xgbModel({ trees: [notNumber] }))).toBe(
      `xgboost-json model: ${TREE0}.split_conditions[1]: expected a finite number, got "x"`,
    );
  });

  it("XGBoost: tree_info that does not match the trees or classes", () => {
    expect(xgb(xgbModel({ treeInfo: [0, 0] }))).toBe(
      "xgboost-json model: learner.gradient_booster.model.tree_info: expected 1 entries, got 2",
    );
    expect(xgb(xgbModel({ treeInfo: [1] }))).toBe(
      "xgboost-json model: learner.gradient_booster.model.tree_info[0]: output group 1 is outside 0..0",
    );
    expect(xgb(xgbModel({ trees: [] }))).toBe(
      "xgboost-json model: learner.gradient_booster.model.trees: the model has no trees",
    );
  });

  it("XGBoost: categorical splits without categories", () => {
    const tree = xgbTree({ ...STUMP, splitType: [1, 0, 0], categories: {} });
    expect(xgb(xgbModel({ trees: [tree] }))).toBe(
      `xgboost-json model: ${TREE0}.categories_nodes: ${TREE0} node 0 is a categorical split but has no categories`,
    );
  });

  it("LightGBM: truncated files, wrong counts, bad children, unknown objectives", () => {
    const good = lgbModel({ trees: [lgbStump(0)] });
    expect(refusal(good.slice(0, good.indexOf("end of trees")))).toBe(
      "lightgbm-text model: end of trees: missing: the file is truncated",
    );
    expect(refusal(good.replace("threshold=0.5", "threshold=0.5 0.7"))).toMatch(
      /^lightgbm-text model: Tree=0\.threshold: line \d+: expected 1 values, got 2$/,
    );
    expect(refusal(good.replace("right_child=-2", "right_child=-9"))).toBe(
      "lightgbm-text model: Tree=0.right_child[0]: -9 is neither a split (0..0) nor a leaf (-1..-2)",
    );
    expect(refusal(good.replace("split_feature=0", "split_feature=4"))).toBe(
      "lightgbm-text model: Tree=0.split_feature[0]: feature 4 is outside 0..1 (max_feature_idx=1)",
    );
    expect(refusal(good.replace("leaf_value=1 2", "leaf_value=1 abc"))).toMatch(
      /^lightgbm-text model: Tree=0\.leaf_value\[1\]: line \d+: expected a number, got "abc"$/,
    );
    expect(refusal(good.replace("objective=regression", "objective=my_loss"))).toMatch(
      /^lightgbm-text model: objective: objective "my_loss" is not supported; supported: /,
    );
    expect(refusal(good.replace("objective=regression", "objective=binary"))).toBe(
      'lightgbm-text model: objective: "binary" needs a positive sigmoid:<k> parameter, got "binary"',
    );
    expect(refusal(good.replace("Tree=0", "Tree=3"))).toMatch(
      /^lightgbm-text model: Tree=3: line \d+: expected Tree=0 \(trees must be numbered in order\)$/,
    );
    expect(refusal(good.replace("num_leaves=2", "num_leaves=x"))).toMatch(
      /^lightgbm-text model: Tree=0\.num_leaves: line \d+: expected an integer ≥ 1, got "x"$/,
    );
  });

  it("LightGBM: categorical splits pointing past the category sets", () => {
    const text = lgbModel({
      trees: [{ ...lgbStump(1, 2), catBoundaries: [0, 1], catThreshold: [6] }],
    });
    expect(refusal(text)).toBe(
      "lightgbm-text model: Tree=0.threshold[0]: categorical split points at category set 2, but num_cat=1",
    );
  });

  it("linear: zod names each bad field", () => {
    expect(refusal(JSON.stringify({ format: "linear", version: 1, weights: [] }))).toBe(
      "linear-json model: weights: Too small: expected array to have >=1 items",
    );
    expect(
      refusal(JSON.stringify({ format: "linear", version: 1, weights: [1, 2], impute: [0] })),
    ).toBe("linear-json model: impute: expected 2 entries (one per weight), got 1");
    expect(
      refusal(JSON.stringify({ format: "linear", version: 1, weights: [1], link: "tanh" })),
    ).toMatch(/^linear-json model: link: Invalid option/);
  });
});
