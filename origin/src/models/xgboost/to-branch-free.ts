import { CATEGORICAL, DEFAULT_LEFT, type XgboostForest } from "./xgboost-forest.js";

/**
 * The same forest laid out so a row can walk a tree with no data-dependent
 * branch: every tree is walked exactly `depth[t]` steps with
 *
 *   node = child[node] + 1 − ((x < threshold[node]) | (isNaN(x) & defaultLeft[node]))
 *
 * and leaves absorb the remaining steps (a leaf reads feature 0, compares
 * against NaN — always false — and its `child` is itself − 1). Branch
 * mispredictions dominate tree scoring on random inputs; without them the
 * CPU can also overlap several rows' walks, which the scorer interleaves.
 * Only for forests without categorical splits.
 */
export interface BranchFreeForest {
  feature: Int32Array;
  child: Int32Array;
  threshold: Float32Array;
  defaultLeft: Int32Array;
  /** Leaf value per node (0 for splits). */
  leaf: Float32Array;
  roots: Int32Array;
  /** Per tree: the number of steps from the root to its deepest leaf. */
  depth: Int32Array;
}

export function toBranchFree(forest: XgboostForest): BranchFreeForest | undefined {
  const n = forest.feature.length;
  const feature = new Int32Array(n);
  const child = new Int32Array(n);
  const threshold = new Float32Array(n);
  const defaultLeft = new Int32Array(n);
  const leaf = new Float32Array(n);
  const nodeDepth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const f = forest.feature[i] as number;
    const flags = forest.flags[i] as number;
    if (f >= 0 && flags & CATEGORICAL) return undefined;
    if (f < 0) {
      feature[i] = 0;
      child[i] = i - 1;
      threshold[i] = Number.NaN;
      leaf[i] = forest.value[i] as number;
    } else {
      feature[i] = f;
      child[i] = forest.child[i] as number;
      threshold[i] = forest.value[i] as number;
      defaultLeft[i] = flags & DEFAULT_LEFT ? 1 : 0;
    }
  }
  const depth = new Int32Array(forest.roots.length);
  // Nodes are numbered breadth-first per tree, so a parent precedes its children.
  forest.roots.forEach((root, t) => {
    const end = t + 1 < forest.roots.length ? (forest.roots[t + 1] as number) : n;
    let deepest = 0;
    for (let i = root; i < end; i++) {
      const d = nodeDepth[i] as number;
      deepest = Math.max(deepest, d);
      if ((forest.feature[i] as number) >= 0) {
        const c = forest.child[i] as number;
        nodeDepth[c] = d + 1;
        nodeDepth[c + 1] = d + 1;
      }
    }
    depth[t] = deepest;
  });
  return { feature, child, threshold, defaultLeft, leaf, roots: forest.roots, depth };
}
