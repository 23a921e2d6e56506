import type { KernelChoice } from "../../origin/src/models/branch-free/branch-free-kernel.js";
import { LightgbmModel } from "../../origin/src/models/lightgbm/lightgbm-model.js";
import { parseLightgbm } from "../../origin/src/models/lightgbm/parse-lightgbm.js";
import type { Model } from "../../origin/src/models/model.js";
import {
  type SyntheticForestOptions,
  syntheticLightgbmText,
  syntheticMatrix,
  syntheticXgboostJson,
} from "../../origin/src/models/synthetic/synthetic-forests.js";
import { parseXgboost } from "../../origin/src/models/xgboost/parse-xgboost.js";
import { XgboostModel } from "../../origin/src/models/xgboost/xgboost-model.js";
import { type Measurement, type MeasureOptions, measure } from "../lib/measure.js";

/** The re-ranking shape the model proxy issue targets: 200 candidates × 40 features, 300 trees of depth 6. */
const ROWS = 200;
const FOREST: SyntheticForestOptions = { trees: 300, depth: 6, features: 40, seed: 42 };

/**
 * Model scoring alone (no feature fetch), 200 rows per call into a reused
 * output buffer as the ranker does: XGBoost and LightGBM formats, the
 * WebAssembly and the JS (specialised) branch-free kernels, and the plain
 * node walk for comparison. 5 % of the features are missing.
 */
export async function scoringSuite(options: MeasureOptions): Promise<Measurement[]> {
  // Several matrices so branch predictors cannot learn one input.
  const matrices = Array.from({ length: 8 }, (_, i) =>
    syntheticMatrix(ROWS, FOREST.features, 100 + i),
  );
  const out = new Float64Array(ROWS);
  const shape = `${ROWS}×${FOREST.features} ${FOREST.trees}t d${FOREST.depth}`;
  const xgboostJson = syntheticXgboostJson(FOREST);
  const lightgbmText = syntheticLightgbmText(FOREST);
  const models: Array<[string, KernelChoice, () => Model]> = [];
  for (const kernel of ["wasm", "specialised", "walk"] as const) {
    models.push(
      [
        "xgboost",
        kernel,
        () => new XgboostModel(parseXgboost(JSON.parse(xgboostJson)), { kernel }),
      ],
      ["lightgbm", kernel, () => new LightgbmModel(parseLightgbm(lightgbmText), { kernel })],
    );
  }
  const results: Measurement[] = [];
  for (const [target, kernel, build] of models) {
    const model = build();
    results.push(
      await measure(
        { suite: "scoring", target, impl: "adapter", op: `predict ${shape} (${kernel})` },
        async (i) => model.predict(matrices[i % matrices.length] as Float32Array, ROWS, out),
        options,
      ),
    );
  }
  return results;
}
