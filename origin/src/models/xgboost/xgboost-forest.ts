/**
 * An XGBoost tree ensemble flattened into typed arrays, all trees in one set
 * of arrays. Nodes are renumbered so that a split's two children are
 * adjacent (`right = child + 1`), which lets the scoring loop pick a child
 * with an addition instead of a second array read.
 */
export interface XgboostForest {
  /** Per node: the feature a split reads, or -1 for a leaf. */
  feature: Int32Array;
  /** Per split: index of its left child (the right one follows it). */
  child: Int32Array;
  /** Per node: the split threshold (float32, as XGBoost compares) or the leaf value. */
  value: Float32Array;
  /** Per split: bit 0 = missing goes left, bit 1 = categorical split. */
  flags: Uint8Array;
  /** Per categorical split: start of its bitset in `catBits`, and its length in 32-bit words. */
  catStart: Int32Array;
  catWords: Int32Array;
  /** Bitsets of the categories that go RIGHT. */
  catBits: Uint32Array;
  /** Per tree: index of its root node. */
  roots: Int32Array;
  /** Per tree: the output (class) it adds to (`tree_info`). */
  group: Int32Array;
  /** DART only: per-tree weight (`weight_drop`); `undefined` for gbtree. */
  weights: Float32Array | undefined;
}

export const DEFAULT_LEFT = 1;
export const CATEGORICAL = 2;

/**
 * XGBoost treats categories at or beyond 2^24 (the largest integer a float32
 * holds exactly) and negative ones as invalid: they go left.
 */
export const MAX_CATEGORY = 16_777_216;
