/** Small hand-written model files whose every prediction can be worked out by hand. */

export interface XgbTreeSpec {
  left: number[];
  right: number[];
  feature: number[];
  condition: number[];
  defaultLeft: Array<number | boolean>;
  splitType?: number[];
  /** Node id → categories that go right. */
  categories?: Record<number, number[]>;
}

export function xgbTree(spec: XgbTreeSpec, id = 0, numFeature = 2): Record<string, unknown> {
  const nodes = Object.keys(spec.categories ?? {}).map(Number);
  const cats = nodes.map((n) => spec.categories?.[n] ?? []);
  const segments: number[] = [];
  let offset = 0;
  for (const c of cats) {
    segments.push(offset);
    offset += c.length;
  }
  return {
    id,
    tree_param: {
      num_deleted: "0",
      num_feature: String(numFeature),
      num_nodes: String(spec.left.length),
      size_leaf_vector: "1",
    },
    left_children: spec.left,
    right_children: spec.right,
    split_indices: spec.feature,
    split_conditions: spec.condition,
    default_left: spec.defaultLeft,
    ...(spec.splitType
      ? {
          split_type: spec.splitType,
          categories_nodes: nodes,
          categories_segments: segments,
          categories_sizes: cats.map((c) => c.length),
          categories: cats.flat(),
        }
      : {}),
  };
}

/** One split on feature 0 at 0.5: left leaf 1.5 (missing goes left), right leaf −2. */
export const STUMP: XgbTreeSpec = {
  left: [1, -1, -1],
  right: [2, -1, -1],
  feature: [0, 0, 0],
  condition: [0.5, 1.5, -2],
  defaultLeft: [1, 0, 0],
};

export function xgbModel(options: {
  objective?: string;
  baseScore?: string;
  numFeature?: number;
  numClass?: number;
  trees?: Array<Record<string, unknown>>;
  treeInfo?: number[];
  version?: number[];
  booster?: "gbtree" | "dart";
  weightDrop?: number[];
}): Record<string, unknown> {
  const trees = options.trees ?? [xgbTree(STUMP)];
  const model = {
    gbtree_model_param: { num_parallel_tree: "1", num_trees: String(trees.length) },
    tree_info: options.treeInfo ?? trees.map(() => 0),
    trees,
  };
  return {
    version: options.version ?? [3, 1, 1],
    learner: {
      attributes: {},
      feature_names: [],
      feature_types: [],
      learner_model_param: {
        base_score: options.baseScore ?? "[0E0]",
        boost_from_average: "1",
        num_class: String(options.numClass ?? 0),
        num_feature: String(options.numFeature ?? 2),
        num_target: "1",
      },
      objective: { name: options.objective ?? "reg:squarederror" },
      gradient_booster:
        options.booster === "dart"
          ? {
              name: "dart",
              gbtree: { name: "gbtree", model },
              weight_drop: options.weightDrop ?? trees.map(() => 1),
            }
          : { name: "gbtree", model },
    },
  };
}

export interface LgbTreeSpec {
  numLeaves: number;
  splitFeature?: number[];
  threshold?: number[];
  decisionType?: number[];
  left?: number[];
  right?: number[];
  leafValue: number[];
  catBoundaries?: number[];
  catThreshold?: number[];
  extra?: string[];
}

export function lgbModel(options: {
  objective?: string;
  numClass?: number;
  maxFeatureIdx?: number;
  trees: LgbTreeSpec[];
  header?: string[];
}): string {
  const perIteration = options.objective?.startsWith("multiclass") ? (options.numClass ?? 1) : 1;
  const lines = [
    "tree",
    "version=v4",
    `num_class=${options.numClass ?? 1}`,
    `num_tree_per_iteration=${perIteration}`,
    "label_index=0",
    `max_feature_idx=${options.maxFeatureIdx ?? 1}`,
    `objective=${options.objective ?? "regression"}`,
    ...(options.header ?? []),
    "",
  ];
  options.trees.forEach((tree, i) => {
    const numCat = tree.catBoundaries ? tree.catBoundaries.length - 1 : 0;
    lines.push(`Tree=${i}`, `num_leaves=${tree.numLeaves}`, `num_cat=${numCat}`);
    if (tree.numLeaves > 1) {
      lines.push(
        `split_feature=${tree.splitFeature?.join(" ")}`,
        `threshold=${tree.threshold?.join(" ")}`,
        `decision_type=${tree.decisionType?.join(" ")}`,
        `left_child=${tree.left?.join(" ")}`,
        `right_child=${tree.right?.join(" ")}`,
      );
    }
    lines.push(`leaf_value=${tree.leafValue.join(" ")}`);
    if (tree.catBoundaries) {
      lines.push(
        `cat_boundaries=${tree.catBoundaries.join(" ")}`,
        `cat_threshold=${tree.catThreshold?.join(" ")}`,
      );
    }
    lines.push(...(tree.extra ?? []), "shrinkage=1", "", "");
  });
  lines.push("end of trees", "", "feature_importances:", "", "parameters:", "end of parameters");
  return lines.join("\n");
}

/** One numerical split on feature 0 at 0.5 (`decision_type` given), leaves 1 (left) and 2 (right). */
export function lgbStump(decisionType: number, threshold = 0.5): LgbTreeSpec {
  return {
    numLeaves: 2,
    splitFeature: [0],
    threshold: [threshold],
    decisionType: [decisionType],
    left: [-1],
    right: [-2],
    leafValue: [1, 2],
  };
}
