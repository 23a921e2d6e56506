import { describe, expect, it } from "vitest";
import { KERNEL_CHOICES } from "../../src/models/branch-free/branch-free-kernel.js";
import { loadModel, parseModelJson } from "../../src/models/load-model.js";
import { parseXgboost } from "../../src/models/xgboost/parse-xgboost.js";
import { XgboostModel } from "../../src/models/xgboost/xgboost-model.js";
import {
  expectPredictions,
  generatedCases,
  matrixFromRows,
  type RowValues,
} from "./reference-fixtures.js";

/** Cases made with XGBoost 1.7.4 (1.x JSON layout) by fixtures/generate_xgboost.py. */
const CASES = generatedCases("xgboost");

describe("XGBoost JSON evaluator reproduces XGBoost 1.7.4 (generated cases)", () => {
  it("has every generated case", () => {
    expect(CASES.names).toHaveLength(17);
  });

  describe.each(CASES.names)("%s", (name) => {
    const text = CASES.text(name, "model.json");
    const doc = () => parseModelJson(text, "xgboost-json") as { version: number[] };
    const input = CASES.json<{
      num_rows: number;
      num_features: number;
      features: Array<Array<number | null>>;
    }>(name, "input.json");
    const expected = CASES.json<{ raw: RowValues; predict: RowValues }>(name, "expected.json");

    it("is read as a 1.x file", () => {
      expect(doc().version[0]).toBe(1);
      expect(loadModel(text).numFeatures).toBe(input.num_features);
    });

    it.each(KERNEL_CHOICES)("matches output_margin=True and predict() (%s kernel)", (kernel) => {
      const model = new XgboostModel(parseXgboost(doc()), { kernel });
      const matrix = matrixFromRows(input.features, input.num_features, "f32");
      expectPredictions(model, matrix, input.num_rows, expected);
    });
  });
});
