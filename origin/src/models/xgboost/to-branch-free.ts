import {
  allocateNodes,
  type BranchFreeForest,
  setLeaf,
  treeDepths,
} from "../branch-free/branch-free-forest.js";
import { CATEGORICAL, DEFAULT_LEFT, type XgboostForest } from "./xgboost-forest.js";

/**
 * The branch-free layout of an XGBoost forest (already numbered with
 * adjacent siblings), or `undefined` if it has categorical splits.
 */
export function xgboostToBranchFree(forest: XgboostForest): BranchFreeForest | undefined {
  const n = forest.feature.length;
  const nodes = allocateNodes(n, Float32Array);
  const { feature, child, threshold, missingLeft } = nodes;
  for (let i = 0; i < n; i++) {
    const f = forest.feature[i] as number;
    const flags = forest.flags[i] as number;
    if (f < 0) {
      setLeaf(nodes, i, forest.value[i] as number);
      continue;
    }
    if (flags & CATEGORICAL) return undefined;
    feature[i] = f;
    child[i] = forest.child[i] as number;
    threshold[i] = forest.value[i] as number;
    missingLeft[i] = flags & DEFAULT_LEFT ? 1 : 0;
  }
  const depth = treeDepths(
    forest.roots,
    n,
    (i) => (forest.feature[i] as number) >= 0,
    (i) => [forest.child[i] as number, (forest.child[i] as number) + 1],
  );
  return { ...nodes, roots: forest.roots, depth, group: forest.group };
}
