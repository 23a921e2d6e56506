import { describe, expect, it } from "vitest";
import { KERNEL_CHOICES } from "../../src/models/branch-free/branch-free-kernel.js";
import { LightgbmModel } from "../../src/models/lightgbm/lightgbm-model.js";
import { parseLightgbm } from "../../src/models/lightgbm/parse-lightgbm.js";
import {
  expectPredictions,
  generatedCases,
  matrixFromRows,
  type RowValues,
} from "./reference-fixtures.js";

/** Cases made with LightGBM 4.7.0 by fixtures/generate_lightgbm.py (see its docstring). */
const CASES = generatedCases("lightgbm");

describe("LightGBM text evaluator reproduces LightGBM 4.7.0 (generated cases)", () => {
  it("has every generated case", () => {
    expect(CASES.names).toHaveLength(10);
  });

  describe.each(CASES.names)("%s", (name) => {
    const text = CASES.text(name, "model.txt");
    const input = CASES.json<{
      num_samples: number;
      num_features: number;
      data: Array<Array<number | null>>;
    }>(name, "input.json");
    const expected = CASES.json<{ raw: RowValues; proba: RowValues }>(name, "expected.json");

    it.each(KERNEL_CHOICES)("matches raw_score=True and predict() (%s kernel)", (kernel) => {
      const model = new LightgbmModel(parseLightgbm(text), { kernel });
      const matrix = matrixFromRows(input.data, input.num_features, "f64");
      expectPredictions(model, matrix, input.num_samples, {
        raw: expected.raw,
        predict: expected.proba,
      });
    });
  });
});
