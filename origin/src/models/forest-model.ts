import type { ChosenKernel } from "./branch-free/branch-free-kernel.js";
import { type FeatureMatrix, type Model, type ModelFormat, prepareOutput } from "./model.js";

/** What the XGBoost and LightGBM parsers both produce that a model's shape is read from. */
export interface ParsedForest {
  numFeatures: number;
  numOutputs: number;
  featureNames: string[] | undefined;
  forest: { roots: Int32Array };
}

/**
 * A predict under way, split in three so its middle step (adding the trees)
 * can run on row ranges, some of them on another thread: `input` is what
 * the trees read (rounded to the library's precision), `raw` holds each
 * row's starting margins until the trees are added, `result` is what
 * `predict` returns.
 */
export interface PredictInProgress {
  readonly rows: number;
  readonly input: FeatureMatrix;
  readonly raw: Float64Array;
  readonly result: Float64Array;
}

/**
 * The part of a tree-ensemble model (XGBoost, LightGBM) that does not depend
 * on the library: the shape every {@link Model} reports, the scoring kernel
 * picked once when the model is loaded, and a predict in three steps
 * (starting margins, trees, transform). Subclasses supply the library's
 * starting margins, tree walk and transform.
 */
export abstract class ForestModel implements Model {
  abstract readonly format: ModelFormat;
  readonly objective: string;
  readonly numFeatures: number;
  readonly featureNames: readonly string[] | undefined;
  readonly numOutputs: number;
  readonly numPredictOutputs: number;
  readonly numTrees: number;
  /**
   * The branch-free fast path and the forest it was compiled from, or
   * `undefined` where the model walks its trees node by node.
   */
  readonly branchFree: ChosenKernel | undefined;

  protected constructor(
    parsed: ParsedForest,
    objective: string,
    numPredictOutputs: number,
    branchFree: ChosenKernel | undefined,
  ) {
    this.objective = objective;
    this.numFeatures = parsed.numFeatures;
    this.featureNames = parsed.featureNames;
    this.numOutputs = parsed.numOutputs;
    this.numPredictOutputs = numPredictOutputs;
    this.numTrees = parsed.forest.roots.length;
    this.branchFree = branchFree;
  }

  /** Writes each row's starting margins into `raw`; returns the matrix the trees read. */
  protected abstract startMargins(
    matrix: FeatureMatrix,
    rows: number,
    raw: Float64Array,
  ): FeatureMatrix;
  /** The node-by-node walk: adds every tree to `rows` rows of `out`. */
  protected abstract walkTrees(matrix: FeatureMatrix, rows: number, out: Float64Array): void;
  /** Turns margins into what the library's `predict()` returns (`raw` may be `result`). */
  protected abstract transform(raw: Float64Array, rows: number, result: Float64Array): void;

  predictRaw(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const result = prepareOutput(this, matrix, rows, this.numOutputs, out);
    const input = this.startMargins(matrix, rows, result);
    this.addTrees(input, 0, rows, result);
    return result;
  }

  predict(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const p = this.beginPredict(matrix, rows, out);
    this.addTrees(p.input, 0, rows, p.raw);
    return this.finishPredict(p);
  }

  /** Step 1 of {@link predict}: checks the buffers and writes the starting margins. */
  beginPredict(matrix: FeatureMatrix, rows: number, out?: Float64Array): PredictInProgress {
    const result = prepareOutput(this, matrix, rows, this.numPredictOutputs, out);
    // multi:softmax answers one class per row: its margins need a buffer of their own.
    const raw =
      this.numPredictOutputs === this.numOutputs
        ? result
        : new Float64Array(rows * this.numOutputs);
    return { rows, input: this.startMargins(matrix, rows, raw), raw, result };
  }

  /**
   * Step 2: adds every tree to rows [from, to) of `raw`. Each row's sum is
   * independent of the others, so any split by rows gives identical results.
   */
  addTrees(input: FeatureMatrix, from: number, to: number, raw: Float64Array): void {
    const stride = this.numFeatures;
    const width = this.numOutputs;
    const m = from === 0 ? input : input.subarray(from * stride);
    const out = from === 0 ? raw : raw.subarray(from * width);
    if (this.branchFree) this.branchFree.kernel(m, to - from, stride, width, out);
    else this.walkTrees(m, to - from, out);
  }

  /** Step 3: the transform; returns the predict's result. */
  finishPredict(p: PredictInProgress): Float64Array {
    this.transform(p.raw, p.rows, p.result);
    return p.result;
  }
}
