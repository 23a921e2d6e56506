import { describe, expect, it } from "vitest";
import { KERNEL_CHOICES } from "../../src/models/branch-free/branch-free-kernel.js";
import { loadModel } from "../../src/models/load-model.js";
import { parseXgboost } from "../../src/models/xgboost/parse-xgboost.js";
import { XgboostModel } from "../../src/models/xgboost/xgboost-model.js";
import {
  expectClose,
  expectPredictions,
  flatExpected,
  listFixtures,
  matrixFromRows,
  type RowValues,
  readFixture,
  readJson,
  requireFixtures,
} from "./reference-fixtures.js";

interface InferenceInput {
  features: Array<Array<number | null>>;
  num_rows: number;
  num_features: number;
}
interface InferenceExpected {
  predictions: RowValues;
  predictions_transformed: RowValues;
  objective: string;
}
interface TrainingData {
  num_rows: number;
  num_features: number;
  data: number[];
}

const INFERENCE = [
  ...listFixtures("xgboost/gbtree/inference", ".model.json").map(
    (n) => `xgboost/gbtree/inference/${n}`,
  ),
  ...listFixtures("xgboost/dart/inference", ".model.json").map(
    (n) => `xgboost/dart/inference/${n}`,
  ),
];
const TRAINING = [
  ...listFixtures("xgboost/gbtree/training", ".model.json").map(
    (n) => `xgboost/gbtree/training/${n}`,
  ),
  ...listFixtures("xgboost/gbtree/training/weighted", ".model.json").map(
    (n) => `xgboost/gbtree/training/weighted/${n}`,
  ),
];

describe("XGBoost JSON evaluator reproduces XGBoost 3.1.1 (reference fixtures)", () => {
  it("finds every reference case", () => {
    requireFixtures();
    expect(INFERENCE).toHaveLength(13);
    expect(TRAINING).toHaveLength(13);
  });

  describe.each(INFERENCE)("%s", (base) => {
    const text = readFixture(`${base}.model.json`);
    const input = readJson<InferenceInput>(`${base}.input.json`);
    const expected = readJson<InferenceExpected>(`${base}.expected.json`);

    it.each(
      KERNEL_CHOICES.flatMap((kernel) =>
        (["f32", "f64"] as const).map((array) => ({ kernel, array })),
      ),
    )("matches raw margins and predict() ($kernel kernel, $array input)", ({ kernel, array }) => {
      const model = new XgboostModel(parseXgboost(JSON.parse(text)), { kernel });
      expect(model.format).toBe("xgboost-json");
      expect(model.objective).toBe(expected.objective);
      expect(model.numFeatures).toBe(input.num_features);
      const matrix = matrixFromRows(input.features, input.num_features, array);
      expectPredictions(model, matrix, input.num_rows, {
        raw: expected.predictions,
        predict: expected.predictions_transformed,
      });
    });
  });

  describe.each(TRAINING)("%s", (base) => {
    const model = loadModel(readFixture(`${base}.model.json`));
    // class_imbalance_unweighted ships only test predictions, for the weighted case's test data.
    const dataBase = base.replace("class_imbalance_unweighted", "class_imbalance_weighted");
    const splits = base.endsWith("class_imbalance_unweighted") ? ["test"] : ["train", "test"];

    it.each(splits)("matches raw margins on the %s rows", (split) => {
      const data = readJson<TrainingData>(`${dataBase}.${split}_data.json`);
      const expected = readJson<{ predictions: RowValues }>(`${base}.${split}_predictions.json`);
      expect(model.numFeatures).toBe(data.num_features);
      const matrix = Float32Array.from(data.data, (v) => (v === null ? Number.NaN : v));
      const raw = model.predictRaw(matrix, data.num_rows);
      expectClose(raw, flatExpected(expected.predictions), `${split} raw`);
      // The caller's buffer is used as-is: no allocation when `out` is given.
      const out = new Float64Array(raw.length);
      expect(model.predictRaw(matrix, data.num_rows, out)).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(raw));
    });
  });
});
