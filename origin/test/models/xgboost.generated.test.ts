import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { KernelChoice } from "../../src/models/branch-free/branch-free-kernel.js";
import { loadModel, parseModelJson } from "../../src/models/load-model.js";
import { parseXgboost } from "../../src/models/xgboost/parse-xgboost.js";
import { XgboostModel } from "../../src/models/xgboost/xgboost-model.js";
import { expectClose, flatExpected, matrixFromRows } from "./reference-fixtures.js";

/** Cases made with XGBoost 1.7.4 (1.x JSON layout) by fixtures/generate_xgboost.py. */
const DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures/xgboost");
const CASES = readdirSync(DIR).sort();
const read = <T>(name: string, file: string): T =>
  JSON.parse(readFileSync(join(DIR, name, file), "utf8")) as T;

describe("XGBoost JSON evaluator reproduces XGBoost 1.7.4 (generated cases)", () => {
  it("has every generated case", () => {
    expect(CASES).toHaveLength(17);
  });

  describe.each(CASES)("%s", (name) => {
    const text = readFileSync(join(DIR, name, "model.json"), "utf8");
    const doc = () => parseModelJson(text, "xgboost-json") as { version: number[] };
    const input = read<{
      num_rows: number;
      num_features: number;
      features: Array<Array<number | null>>;
    }>(name, "input.json");
    const expected = read<{ raw: Array<number | number[]>; predict: number[] }>(
      name,
      "expected.json",
    );

    it("is read as a 1.x file", () => {
      expect(doc().version[0]).toBe(1);
      expect(loadModel(text).numFeatures).toBe(input.num_features);
    });

    it.each(["specialised", "shared", "walk"] as KernelChoice[])(
      "matches output_margin=True and predict() (%s kernel)",
      (kernel) => {
        const model = new XgboostModel(parseXgboost(doc()), { kernel });
        const matrix = matrixFromRows(input.features, input.num_features, "f32");
        expectClose(model.predictRaw(matrix, input.num_rows), flatExpected(expected.raw), "raw");
        expectClose(
          model.predict(matrix, input.num_rows),
          flatExpected(expected.predict),
          "predict",
        );
      },
    );
  });
});
