import {
  allocateNodes,
  type BranchFreeForest,
  type BranchFreeNodes,
  setLeaf,
  treeDepths,
} from "../branch-free/branch-free-forest.js";
import {
  CATEGORICAL_MASK,
  DEFAULT_LEFT_MASK,
  type LightgbmForest,
  MISSING_NAN,
  MISSING_ZERO,
} from "./lightgbm-forest.js";

/**
 * The branch-free layout of a LightGBM forest, renumbered breadth-first with
 * adjacent siblings, or `undefined` when it has what the layout cannot
 * express: categorical splits, zero-as-missing splits or linear leaves.
 * Where `NaN` goes is fixed per split: by `default_left` for missing type
 * NaN, and for missing type None where 0 would go (LightGBM reads NaN as 0).
 */
export function lightgbmToBranchFree(
  forest: LightgbmForest,
  perIteration: number,
): BranchFreeForest | undefined {
  if (forest.linear) return undefined;
  const nodes = allocateNodes(forest.feature.length, Float64Array);
  const { feature, child, threshold, missingLeft } = nodes;
  const roots = new Int32Array(forest.roots.length);
  const group = new Int32Array(forest.roots.length);
  let next = 0;
  for (let t = 0; t < forest.roots.length; t++) {
    roots[t] = next;
    group[t] = t % perIteration;
    // Queue of [node in `forest`, its new number].
    const queue: Array<[number, number]> = [[forest.roots[t] as number, next]];
    next += 1;
    for (let q = 0; q < queue.length; q++) {
      const [old, id] = queue[q] as [number, number];
      const f = forest.feature[old] as number;
      if (f < 0) {
        setLeaf(nodes, id, forest.value[old] as number);
        continue;
      }
      const d = forest.decision[old] as number;
      const missing = (d >> 2) & 3;
      if (d & CATEGORICAL_MASK || missing === MISSING_ZERO) return undefined;
      const tv = forest.value[old] as number;
      feature[id] = f;
      threshold[id] = tv;
      missingLeft[id] = (missing === MISSING_NAN ? d & DEFAULT_LEFT_MASK : 0 <= tv) ? 1 : 0;
      child[id] = next;
      queue.push([forest.left[old] as number, next], [forest.right[old] as number, next + 1]);
      next += 2;
    }
  }
  const depth = treeDepths(
    roots,
    next,
    // Splits point forward to their children; leaves point back (at themselves − 1).
    (i) => (child[i] as number) > i,
    (i) => [child[i] as number, (child[i] as number) + 1],
  );
  return { ...firstNodes(nodes, next), roots, depth, group };
}

function firstNodes(nodes: BranchFreeNodes, count: number): BranchFreeNodes {
  return {
    feature: nodes.feature.slice(0, count),
    child: nodes.child.slice(0, count),
    threshold: nodes.threshold.slice(0, count),
    missingLeft: nodes.missingLeft.slice(0, count),
    leaf: nodes.leaf.slice(0, count),
  };
}
