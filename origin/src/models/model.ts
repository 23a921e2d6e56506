/**
 * The one interface every re-ranking model implements, whatever library
 * trained it. Scoring reads a row-major feature matrix (rows = candidates,
 * columns = the model's features in order, `NaN` = missing) and writes into a
 * caller-owned output so nothing is allocated per row.
 */

/** Row-major features; `Float32Array` is what the retrieval graph produces. */
export type FeatureMatrix = Float32Array | Float64Array;

export type ModelFormat = "xgboost-json" | "lightgbm-text" | "linear-json";

export interface Model {
  readonly format: ModelFormat;
  /** The training objective as the library names it, e.g. `binary:logistic`, `binary sigmoid:1`. */
  readonly objective: string;
  /** Columns per row the matrix must have. */
  readonly numFeatures: number;
  /** Feature names saved with the model, when the library saved them (in column order). */
  readonly featureNames: readonly string[] | undefined;
  /** Raw scores per row: 1, or one per class for multiclass models. */
  readonly numOutputs: number;
  /**
   * Transformed values per row. Equal to `numOutputs`, except XGBoost
   * `multi:softmax` whose `predict()` is the winning class index (1 per row).
   */
  readonly numPredictOutputs: number;
  /** Number of trees (0 for linear models); for logs and the admin API. */
  readonly numTrees: number;
  /**
   * Raw margins (XGBoost `output_margin=True`, LightGBM `raw_score=True`),
   * `rows * numOutputs` values, row-major.
   */
  predictRaw(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array;
  /** What the library's `predict()` returns: probabilities, values or class indexes. */
  predict(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array;
}

/**
 * Checks the caller's buffers once per call (never per row) and returns the
 * output array to fill. Mismatched shapes are bugs in the caller, so they throw.
 */
export function prepareOutput(
  model: Pick<Model, "numFeatures">,
  matrix: FeatureMatrix,
  rows: number,
  width: number,
  out: Float64Array | undefined,
): Float64Array {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be ≥ 0, got ${rows}`);
  const needed = rows * model.numFeatures;
  if (matrix.length < needed) {
    throw new RangeError(
      `feature matrix has ${matrix.length} values, need ${rows} rows × ${model.numFeatures} features = ${needed}`,
    );
  }
  if (out === undefined) return new Float64Array(rows * width);
  if (out.length < rows * width) {
    throw new RangeError(`output has ${out.length} slots, need ${rows} rows × ${width}`);
  }
  return out;
}
