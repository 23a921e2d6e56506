import { chooseTreeKernel, type KernelChoice } from "../branch-free/branch-free-kernel.js";
import { ForestModel } from "../forest-model.js";
import { type FeatureMatrix, prepareOutput } from "../model.js";
import { applyTransform, transformWidth } from "../transforms.js";
import type { ParsedXgboost } from "./parse-xgboost.js";
import { xgboostToBranchFree } from "./to-branch-free.js";
import { CATEGORICAL, DEFAULT_LEFT, MAX_CATEGORY, type XgboostForest } from "./xgboost-forest.js";

/**
 * Scores like XGBoost's CPU predictor: features are rounded to float32, a
 * numerical split goes left iff `x < threshold`, `NaN` follows the default
 * direction, and margins are accumulated in float32 starting from the base
 * margin, tree by tree in model order.
 */
export class XgboostModel extends ForestModel {
  readonly format = "xgboost-json" as const;
  readonly #parsed: ParsedXgboost;
  /** Float64 input is rounded into this reused buffer once per call (XGBoost reads float32). */
  #scratch = new Float32Array(0);

  /**
   * `kernel`: see {@link KernelChoice}; the fast path takes gbtree forests
   * without categorical splits, DART and categorical forests always walk.
   */
  constructor(parsed: ParsedXgboost, options: { kernel?: KernelChoice } = {}) {
    super(
      parsed,
      parsed.objectiveName,
      transformWidth(parsed.objective.transform, parsed.numOutputs),
      chooseTreeKernel(
        options.kernel,
        { compare: "<", float32Sum: true },
        { features: parsed.numFeatures, outputs: parsed.numOutputs },
        () => (parsed.forest.weights ? undefined : xgboostToBranchFree(parsed.forest)),
      ),
    );
    this.#parsed = parsed;
  }

  predictRaw(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const result = prepareOutput(this, matrix, rows, this.numOutputs, out);
    const { forest, baseMargin } = this.#parsed;
    const width = this.numOutputs;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < width; k++) result[r * width + k] = baseMargin[k] as number;
    }
    const stride = this.numFeatures;
    if (this.kernel) this.kernel(this.#float32(matrix, rows), rows, stride, width, result);
    else addTrees(forest, baseMargin, matrix, rows, stride, width, result);
    return result;
  }

  #float32(matrix: FeatureMatrix, rows: number): Float32Array {
    if (matrix instanceof Float32Array) return matrix;
    const n = rows * this.numFeatures;
    if (this.#scratch.length < n) this.#scratch = new Float32Array(n);
    this.#scratch.set(matrix.subarray(0, n));
    return this.#scratch;
  }

  predict(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const { transform } = this.#parsed.objective;
    const width = this.numPredictOutputs;
    const result = prepareOutput(this, matrix, rows, width, out);
    if (transform.kind === "argmax") {
      const raw = this.predictRaw(matrix, rows);
      applyTransform(transform, raw, rows, this.numOutputs, result, true);
    } else {
      this.predictRaw(matrix, rows, result);
      applyTransform(transform, result, rows, this.numOutputs, result, true);
    }
    return result;
  }
}

/**
 * Adds every tree's leaf value to each row's margin in float32, tree-major:
 * one tree's nodes stay in cache while every row walks it. A DART forest
 * (`weights` set) adds what XGBoost 3.x computes: each tree's prediction
 * (base margin + leaf, in float32) minus the base margin, times the tree's
 * `weight_drop`.
 */
function addTrees(
  forest: XgboostForest,
  baseMargin: Float32Array,
  matrix: FeatureMatrix,
  rows: number,
  stride: number,
  width: number,
  out: Float64Array,
): void {
  const { roots, group, weights } = forest;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t] as number;
    const g = group[t] as number;
    const base = baseMargin[g] as number;
    const w = weights ? (weights[t] as number) : 1;
    for (let r = 0; r < rows; r++) {
      const i = r * width + g;
      const leaf = leafValue(forest, root, matrix, r * stride);
      const tree = weights ? Math.fround(Math.fround(Math.fround(base + leaf) - base) * w) : leaf;
      out[i] = Math.fround((out[i] as number) + tree);
    }
  }
}

/** Walks one tree for the row starting at `offset`; returns the leaf value. */
function leafValue(
  forest: XgboostForest,
  root: number,
  matrix: FeatureMatrix,
  offset: number,
): number {
  const { feature, child, value, flags } = forest;
  let node = root;
  let f = feature[node] as number;
  while (f >= 0) {
    const x = matrix[offset + f] as number;
    const flag = flags[node] as number;
    if (Number.isNaN(x)) {
      node = (child[node] as number) + (flag & DEFAULT_LEFT ? 0 : 1);
    } else if (flag & CATEGORICAL) {
      node = (child[node] as number) + (categoryGoesRight(forest, node, Math.fround(x)) ? 1 : 0);
    } else {
      node = (child[node] as number) + (Math.fround(x) < (value[node] as number) ? 0 : 1);
    }
    f = feature[node] as number;
  }
  return value[node] as number;
}

/** Listed categories go right; unlisted, negative or out-of-range ones go left. */
function categoryGoesRight(forest: XgboostForest, node: number, x: number): boolean {
  if (x < 0 || x >= MAX_CATEGORY) return false;
  const c = Math.trunc(x);
  const word = c >>> 5;
  if (word >= (forest.catWords[node] as number)) return false;
  const bits = forest.catBits[(forest.catStart[node] as number) + word] as number;
  return ((bits >>> (c & 31)) & 1) === 1;
}
