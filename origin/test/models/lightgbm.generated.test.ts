import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { KernelChoice } from "../../src/models/branch-free/branch-free-kernel.js";
import { LightgbmModel } from "../../src/models/lightgbm/lightgbm-model.js";
import { parseLightgbm } from "../../src/models/lightgbm/parse-lightgbm.js";
import { expectClose, flatExpected, matrixFromRows } from "./reference-fixtures.js";

/** Cases made with LightGBM 4.7.0 by fixtures/generate_lightgbm.py (see its docstring). */
const DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures/lightgbm");
const CASES = readdirSync(DIR).sort();
const read = <T>(name: string, file: string): T =>
  JSON.parse(readFileSync(join(DIR, name, file), "utf8")) as T;

describe("LightGBM text evaluator reproduces LightGBM 4.7.0 (generated cases)", () => {
  it("has every generated case", () => {
    expect(CASES).toHaveLength(10);
  });

  describe.each(CASES)("%s", (name) => {
    const text = readFileSync(join(DIR, name, "model.txt"), "utf8");
    const input = read<{
      num_samples: number;
      num_features: number;
      data: Array<Array<number | null>>;
    }>(name, "input.json");
    const expected = read<{ raw: Array<number | number[]>; proba: Array<number | number[]> }>(
      name,
      "expected.json",
    );

    it.each(["specialised", "shared", "walk"] as KernelChoice[])(
      "matches raw_score=True and predict() (%s kernel)",
      (kernel) => {
        const model = new LightgbmModel(parseLightgbm(text), { kernel });
        const matrix = matrixFromRows(input.data, input.num_features, "f64");
        expectClose(model.predictRaw(matrix, input.num_samples), flatExpected(expected.raw), "raw");
        expectClose(
          model.predict(matrix, input.num_samples),
          flatExpected(expected.proba),
          "predict",
        );
      },
    );
  });
});
