/**
 * A tree ensemble laid out so a row walks a tree with no data-dependent
 * branch. Every tree is walked exactly `depth[t]` steps with
 *
 *   node = child[node] + 1 − ((x CMP threshold[node]) | (isNaN(x) & missingLeft[node]))
 *
 * where CMP is `<` (XGBoost) or `<=` (LightGBM): a split's children are
 * adjacent (left = `child`, right = `child + 1`), and leaves absorb the
 * remaining steps (a leaf reads feature 0, compares against NaN — always
 * false — and its `child` is itself − 1). Branch mispredictions dominate
 * tree scoring on real inputs; without them the CPU can also overlap several
 * rows' walks, which the kernel interleaves.
 */
export interface BranchFreeForest {
  feature: Int32Array;
  child: Int32Array;
  threshold: Float32Array | Float64Array;
  /** 1 where a missing (`NaN`) value goes left. */
  missingLeft: Int32Array;
  /** Leaf value per node (0 for splits). */
  leaf: Float32Array | Float64Array;
  roots: Int32Array;
  /** Per tree: the number of steps from the root to its deepest leaf. */
  depth: Int32Array;
  /** Per tree: the output (class) it adds to. */
  group: Int32Array;
}

/** The per-node arrays of a {@link BranchFreeForest}. */
export type BranchFreeNodes = Pick<
  BranchFreeForest,
  "feature" | "child" | "threshold" | "missingLeft" | "leaf"
>;

/** Zeroed node arrays for `n` nodes, thresholds and leaf values in the library's precision. */
export function allocateNodes(
  n: number,
  precision: Float32ArrayConstructor | Float64ArrayConstructor,
): BranchFreeNodes {
  return {
    feature: new Int32Array(n),
    child: new Int32Array(n),
    threshold: new precision(n),
    missingLeft: new Int32Array(n),
    leaf: new precision(n),
  };
}

/**
 * Makes node `id` a leaf that absorbs the remaining steps: it reads feature
 * 0, compares against NaN (always false, so it takes `child + 1`) and its
 * `child` is itself − 1, so every step lands on it again.
 */
export function setLeaf(nodes: BranchFreeNodes, id: number, value: number): void {
  nodes.child[id] = id - 1;
  nodes.threshold[id] = Number.NaN;
  nodes.leaf[id] = value;
}

/** How a library compares and sums: XGBoost `<` in float32, LightGBM `<=` in double. */
export interface ScoringRules {
  compare: "<" | "<=";
  float32Sum: boolean;
}

/**
 * Per-tree depth of a forest numbered so that parents precede children
 * within each tree (breadth-first), given each split's two children.
 */
export function treeDepths(
  roots: Int32Array,
  totalNodes: number,
  isSplit: (node: number) => boolean,
  children: (node: number) => [number, number],
): Int32Array {
  const nodeDepth = new Int32Array(totalNodes);
  const depth = new Int32Array(roots.length);
  roots.forEach((root, t) => {
    const end = t + 1 < roots.length ? (roots[t + 1] as number) : totalNodes;
    let deepest = 0;
    for (let i = root; i < end; i++) {
      const d = nodeDepth[i] as number;
      deepest = Math.max(deepest, d);
      if (isSplit(i)) {
        for (const c of children(i)) nodeDepth[c] = d + 1;
      }
    }
    depth[t] = deepest;
  });
  return depth;
}
