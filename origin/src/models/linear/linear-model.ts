import type { LinearModelDocument } from "#shared/models/linear-model";
import { type FeatureMatrix, type Model, prepareOutput } from "../model.js";
import { applyTransform, type Transform } from "../transforms.js";

/** `bias + w · x` per row (missing features imputed), optionally through a sigmoid. */
export class LinearModel implements Model {
  readonly format = "linear-json" as const;
  readonly objective: string;
  readonly numFeatures: number;
  readonly featureNames: readonly string[] | undefined;
  readonly numOutputs = 1;
  readonly numPredictOutputs = 1;
  readonly numTrees = 0;
  readonly #weights: Float64Array;
  readonly #impute: Float64Array;
  readonly #bias: number;
  readonly #transform: Transform;

  constructor(doc: LinearModelDocument) {
    this.objective = doc.link === "sigmoid" ? "linear:logistic" : "linear:identity";
    this.numFeatures = doc.weights.length;
    this.featureNames = doc.featureNames;
    this.#weights = Float64Array.from(doc.weights);
    this.#impute = doc.impute ? Float64Array.from(doc.impute) : new Float64Array(this.numFeatures);
    this.#bias = doc.bias;
    this.#transform = doc.link === "sigmoid" ? { kind: "sigmoid", scale: 1 } : { kind: "identity" };
  }

  predictRaw(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const result = prepareOutput(this, matrix, rows, 1, out);
    const weights = this.#weights;
    const impute = this.#impute;
    const n = this.numFeatures;
    for (let r = 0; r < rows; r++) {
      let sum = this.#bias;
      const offset = r * n;
      for (let f = 0; f < n; f++) {
        const x = matrix[offset + f] as number;
        sum += (weights[f] as number) * (Number.isNaN(x) ? (impute[f] as number) : x);
      }
      result[r] = sum;
    }
    return result;
  }

  predict(matrix: FeatureMatrix, rows: number, out?: Float64Array): Float64Array {
    const result = this.predictRaw(matrix, rows, out);
    applyTransform(this.#transform, result, rows, 1, result, false);
    return result;
  }
}
