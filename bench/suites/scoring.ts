import { loadModel } from "../../origin/src/models/load-model.js";
import {
  syntheticMatrix,
  syntheticXgboostJson,
} from "../../origin/src/models/synthetic/synthetic-xgboost.js";
import { type Measurement, type MeasureOptions, measure } from "../lib/measure.js";

/** The re-ranking shape the model proxy issue targets: 200 candidates × 40 features, 300 trees of depth 6. */
const ROWS = 200;
const FEATURES = 40;
const TREES = 300;
const DEPTH = 6;

/**
 * Model scoring alone (no feature fetch): XGBoost-format model, raw margins
 * and predict() (sigmoid), into a reused output buffer as the ranker does.
 */
export async function scoringSuite(options: MeasureOptions): Promise<Measurement[]> {
  const model = loadModel(
    syntheticXgboostJson({ trees: TREES, depth: DEPTH, features: FEATURES, seed: 42 }),
  );
  // Several matrices so branch predictors cannot learn one input.
  const matrices = Array.from({ length: 8 }, (_, i) => syntheticMatrix(ROWS, FEATURES, 100 + i));
  const out = new Float64Array(ROWS * model.numOutputs);
  const label = { suite: "scoring", target: "xgboost", impl: "adapter" as const };
  const shape = `${ROWS}×${FEATURES}, ${TREES} trees d${DEPTH}`;
  return [
    await measure(
      { ...label, op: `predictRaw ${shape}` },
      async (i) => model.predictRaw(matrices[i % matrices.length] as Float32Array, ROWS, out),
      options,
    ),
    await measure(
      { ...label, op: `predict ${shape}` },
      async (i) => model.predict(matrices[i % matrices.length] as Float32Array, ROWS, out),
      options,
    ),
  ];
}
