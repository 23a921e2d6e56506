import { describe, expect, it } from "vitest";
import { KERNEL_CHOICES } from "../../src/models/branch-free/branch-free-kernel.js";
import { LightgbmModel } from "../../src/models/lightgbm/lightgbm-model.js";
import { parseLightgbm } from "../../src/models/lightgbm/parse-lightgbm.js";
import { loadModel } from "../../src/models/load-model.js";
import {
  expectPredictions,
  listFixtures,
  matrixFromRows,
  type RowValues,
  readFixture,
  readJson,
  requireFixtures,
} from "./reference-fixtures.js";

interface Input {
  num_samples: number;
  num_features: number;
  data: Array<Array<number | null>>;
}
interface Expected {
  raw: RowValues;
  proba?: RowValues;
}

const CASES = listFixtures("lightgbm/inference", "").filter((name) => !name.includes("."));

describe("LightGBM text evaluator reproduces LightGBM 4.6.0 (reference fixtures)", () => {
  it("finds every reference case", () => {
    requireFixtures();
    expect(CASES).toEqual([
      "binary_classification",
      "linear_tree",
      "multiclass",
      "regression",
      "regression_missing",
      "small_tree",
    ]);
  });

  describe.each(CASES)("%s", (name) => {
    const dir = `lightgbm/inference/${name}`;
    const text = readFixture(`${dir}/model.txt`);
    const input = readJson<Input>(`${dir}/input.json`);
    const expected = readJson<Expected>(`${dir}/expected.json`);

    it("loads through the format sniffer", () => {
      const model = loadModel(text);
      expect(model.format).toBe("lightgbm-text");
      expect(model.numFeatures).toBe(input.num_features);
    });

    // LightGBM compares in double precision, so float64 input is the exact check; the
    // float32 matrix the retrieval graph produces happens to route identically here.
    it.each(
      KERNEL_CHOICES.flatMap((kernel) =>
        (["f64", "f32"] as const).map((array) => ({ kernel, array })),
      ),
    )(
      "matches raw_score=True and predict() ($kernel kernel, $array input)",
      ({ kernel, array }) => {
        const model = new LightgbmModel(parseLightgbm(text), { kernel });
        const matrix = matrixFromRows(input.data, input.num_features, array);
        // Regression objectives have no transform: predict() is the raw score.
        const predict = expected.proba ?? expected.raw;
        expectPredictions(model, matrix, input.num_samples, { raw: expected.raw, predict });
      },
    );
  });
});
