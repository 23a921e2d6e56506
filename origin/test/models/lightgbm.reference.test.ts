import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/models/load-model.js";
import {
  expectClose,
  flatExpected,
  listFixtures,
  matrixFromRows,
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
  raw: Array<number | number[]>;
  proba?: Array<number | number[]>;
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
    const model = loadModel(readFixture(`${dir}/model.txt`));
    const input = readJson<Input>(`${dir}/input.json`);
    const expected = readJson<Expected>(`${dir}/expected.json`);

    // LightGBM compares in double precision, so float64 input is the exact check; the
    // float32 matrix the retrieval graph produces happens to route identically here.
    it.each(["f64", "f32"] as const)(
      "matches raw_score=True and predict() on %s input",
      (array) => {
        expect(model.format).toBe("lightgbm-text");
        expect(model.numFeatures).toBe(input.num_features);
        const matrix = matrixFromRows(input.data, input.num_features, array);
        const raw = model.predictRaw(matrix, input.num_samples);
        expectClose(raw, flatExpected(expected.raw), "raw");
        // Regression objectives have no transform: predict() is the raw score.
        const transformed = expected.proba ?? expected.raw;
        expectClose(model.predict(matrix, input.num_samples), flatExpected(transformed), "predict");
      },
    );
  });
});
