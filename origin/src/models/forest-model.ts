import type { TreeKernel } from "./branch-free/branch-free-kernel.js";
import type { FeatureMatrix, Model, ModelFormat } from "./model.js";

/** What the XGBoost and LightGBM parsers both produce that a model's shape is read from. */
export interface ParsedForest {
  numFeatures: number;
  numOutputs: number;
  featureNames: string[] | undefined;
  forest: { roots: Int32Array };
}

/**
 * The part of a tree-ensemble model (XGBoost, LightGBM) that does not depend
 * on the library: the shape every {@link Model} reports, and the scoring
 * kernel picked once when the model is loaded. Subclasses score.
 */
export abstract class ForestModel implements Model {
  abstract readonly format: ModelFormat;
  readonly objective: string;
  readonly numFeatures: number;
  readonly featureNames: readonly string[] | undefined;
  readonly numOutputs: number;
  readonly numPredictOutputs: number;
  readonly numTrees: number;
  /** The branch-free fast path, or `undefined` where the model walks its trees node by node. */
  protected readonly kernel: TreeKernel | undefined;

  protected constructor(
    parsed: ParsedForest,
    objective: string,
    numPredictOutputs: number,
    kernel: TreeKernel | undefined,
  ) {
    this.objective = objective;
    this.numFeatures = parsed.numFeatures;
    this.featureNames = parsed.featureNames;
    this.numOutputs = parsed.numOutputs;
    this.numPredictOutputs = numPredictOutputs;
    this.numTrees = parsed.forest.roots.length;
    this.kernel = kernel;
  }

  abstract predictRaw(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array;
  abstract predict(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array;
}
