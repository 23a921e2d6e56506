/**
 * A LightGBM ensemble flattened into typed arrays. Each tree's splits come
 * first, then its leaves; `left`/`right` hold absolute node indexes.
 */
export interface LightgbmForest {
  /** Per node: the feature a split reads, or -1 for a leaf. */
  feature: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** Per split: the threshold (double, compared with `<=`); per leaf: its value. */
  value: Float64Array;
  /** Per split: LightGBM's `decision_type` byte (categorical, default-left, missing type). */
  decision: Uint8Array;
  /** Per categorical split: start and length (32-bit words) of its left-going bitset in `catBits`. */
  catStart: Int32Array;
  catWords: Int32Array;
  catBits: Uint32Array;
  /** Per tree: index of its root (a leaf for single-leaf trees). */
  roots: Int32Array;
  /** Linear trees only (`is_linear=1`), indexed by leaf node; `undefined` otherwise. */
  linear: LinearLeaves | undefined;
}

/** Leaf `n` outputs `constant[n] + Σ coeff[i] · x[features[i]]` over its slice, or its plain value if any x is NaN. */
export interface LinearLeaves {
  constant: Float64Array;
  start: Int32Array;
  count: Int32Array;
  features: Int32Array;
  coeff: Float64Array;
}

export const CATEGORICAL_MASK = 1;
export const DEFAULT_LEFT_MASK = 2;
export const MISSING_ZERO = 1;
export const MISSING_NAN = 2;
/** LightGBM's `kZeroThreshold` (a float 1e-35): values this close to 0 count as zero. */
export const ZERO_THRESHOLD = Math.fround(1e-35);
