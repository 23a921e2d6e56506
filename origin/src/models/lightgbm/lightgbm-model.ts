import { chooseTreeKernel, type KernelChoice } from "../branch-free/branch-free-kernel.js";
import { ForestModel } from "../forest-model.js";
import { type FeatureMatrix, prepareOutput } from "../model.js";
import { applyTransform } from "../transforms.js";
import {
  CATEGORICAL_MASK,
  DEFAULT_LEFT_MASK,
  type LightgbmForest,
  MISSING_NAN,
  MISSING_ZERO,
  ZERO_THRESHOLD,
} from "./lightgbm-forest.js";
import type { ParsedLightgbm } from "./parse-lightgbm.js";
import { lightgbmToBranchFree } from "./to-branch-free.js";

/**
 * Scores like LightGBM's `Tree::Predict`: features as doubles, a numerical
 * split goes left iff `x <= threshold`, missing values per the split's
 * missing type, categorical splits by bitset, linear leaves when present;
 * raw scores summed in double precision, tree by tree in model order.
 */
export class LightgbmModel extends ForestModel {
  readonly format = "lightgbm-text" as const;
  readonly #parsed: ParsedLightgbm;

  /**
   * `kernel`: see {@link KernelChoice}; the fast path takes forests without
   * categorical, zero-as-missing or linear splits.
   */
  constructor(parsed: ParsedLightgbm, options: { kernel?: KernelChoice } = {}) {
    super(
      parsed,
      parsed.objective,
      parsed.numOutputs,
      chooseTreeKernel(
        options.kernel,
        { compare: "<=", float32Sum: false },
        { features: parsed.numFeatures, outputs: parsed.numOutputs },
        () => lightgbmToBranchFree(parsed.forest, parsed.numOutputs),
      ),
    );
    this.#parsed = parsed;
  }

  predictRaw(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const width = this.numOutputs;
    const result = prepareOutput(this, matrix, rows, width, out);
    result.fill(0, 0, rows * width);
    const forest = this.#parsed.forest;
    const stride = this.numFeatures;
    if (this.kernel) this.kernel(matrix, rows, stride, width, result);
    else addTrees(forest, matrix, rows, stride, width, result);
    return result;
  }

  predict(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const result = this.predictRaw(matrix, rows, out);
    if (this.#parsed.averageOutput) {
      // Random forests: LightGBM averages in predict() only; the raw score stays the sum.
      const iterations = this.numTrees / this.numOutputs;
      for (let i = 0; i < rows * this.numOutputs; i++)
        result[i] = (result[i] as number) / iterations;
    }
    applyTransform(this.#parsed.transform, result, rows, this.numOutputs, result, false);
    return result;
  }
}

function addTrees(
  forest: LightgbmForest,
  matrix: FeatureMatrix,
  rows: number,
  stride: number,
  width: number,
  out: Float64Array,
): void {
  const { roots } = forest;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t] as number;
    const k = t % width;
    for (let r = 0; r < rows; r++) {
      const i = r * width + k;
      out[i] = (out[i] as number) + treeOutput(forest, root, matrix, r * stride);
    }
  }
}

function treeOutput(
  forest: LightgbmForest,
  root: number,
  matrix: FeatureMatrix,
  offset: number,
): number {
  const leaf = findLeaf(forest, root, matrix, offset);
  const linear = forest.linear;
  if (!linear) return forest.value[leaf] as number;
  let output = linear.constant[leaf] as number;
  const start = linear.start[leaf] as number;
  const end = start + (linear.count[leaf] as number);
  for (let i = start; i < end; i++) {
    const x = matrix[offset + (linear.features[i] as number)] as number;
    // LightGBM falls back to the leaf's constant value when any input is missing.
    if (Number.isNaN(x)) return forest.value[leaf] as number;
    output += (linear.coeff[i] as number) * x;
  }
  return output;
}

function findLeaf(
  forest: LightgbmForest,
  root: number,
  matrix: FeatureMatrix,
  offset: number,
): number {
  const { feature, left, right, value, decision } = forest;
  let node = root;
  let f = feature[node] as number;
  while (f >= 0) {
    let x = matrix[offset + f] as number;
    const d = decision[node] as number;
    if (d & CATEGORICAL_MASK) {
      node = categoryGoesLeft(forest, node, x) ? (left[node] as number) : (right[node] as number);
    } else {
      const missing = (d >> 2) & 3;
      if (Number.isNaN(x) && missing !== MISSING_NAN) x = 0;
      if (
        (missing === MISSING_ZERO && x >= -ZERO_THRESHOLD && x <= ZERO_THRESHOLD) ||
        (missing === MISSING_NAN && Number.isNaN(x))
      ) {
        node = d & DEFAULT_LEFT_MASK ? (left[node] as number) : (right[node] as number);
      } else {
        node = x <= (value[node] as number) ? (left[node] as number) : (right[node] as number);
      }
    }
    f = feature[node] as number;
  }
  return node;
}

/** Categories in the split's bitset go left; NaN, negative and unlisted ones go right. */
function categoryGoesLeft(forest: LightgbmForest, node: number, x: number): boolean {
  if (Number.isNaN(x)) return false;
  const c = Math.trunc(x);
  if (c < 0 || c > 0x7fffffff) return false;
  const word = Math.floor(c / 32);
  if (word >= (forest.catWords[node] as number)) return false;
  const bits = forest.catBits[(forest.catStart[node] as number) + word] as number;
  return ((bits >>> (c % 32)) & 1) === 1;
}
