import { createRandom } from "#shared/random/prng";

export interface SyntheticForestOptions {
  trees: number;
  /** Every tree is complete to this depth (2^depth leaves). */
  depth: number;
  features: number;
  seed: number;
}

/**
 * A deterministic XGBoost 3.x `save_model` JSON document (binary:logistic,
 * complete trees, random features and thresholds, some splits sending
 * missing values left): the shape the benchmarks score, without needing
 * Python to produce it.
 */
export function syntheticXgboostJson(options: SyntheticForestOptions): string {
  const random = createRandom(options.seed);
  const nodes = 2 ** (options.depth + 1) - 1;
  const splits = 2 ** options.depth - 1;
  const trees = Array.from({ length: options.trees }, (_, id) => {
    const left: number[] = [];
    const right: number[] = [];
    const splitIndices: number[] = [];
    const splitConditions: number[] = [];
    const defaultLeft: number[] = [];
    for (let n = 0; n < nodes; n++) {
      const isSplit = n < splits;
      left.push(isSplit ? 2 * n + 1 : -1);
      right.push(isSplit ? 2 * n + 2 : -1);
      splitIndices.push(isSplit ? random.int(0, options.features - 1) : 0);
      splitConditions.push(Math.fround(isSplit ? random.gaussian() : (random.next() - 0.5) * 0.2));
      defaultLeft.push(random.next() < 0.5 ? 1 : 0);
    }
    return {
      id,
      tree_param: {
        num_deleted: "0",
        num_feature: String(options.features),
        num_nodes: String(nodes),
        size_leaf_vector: "1",
      },
      left_children: left,
      right_children: right,
      split_indices: splitIndices,
      split_conditions: splitConditions,
      default_left: defaultLeft,
      split_type: new Array(nodes).fill(0),
      categories: [],
      categories_nodes: [],
      categories_segments: [],
      categories_sizes: [],
    };
  });
  return JSON.stringify({
    version: [3, 1, 1],
    learner: {
      attributes: {},
      feature_names: [],
      feature_types: [],
      learner_model_param: {
        base_score: "[5E-1]",
        boost_from_average: "1",
        num_class: "0",
        num_feature: String(options.features),
        num_target: "1",
      },
      objective: { name: "binary:logistic", reg_loss_param: { scale_pos_weight: "1" } },
      gradient_booster: {
        name: "gbtree",
        model: {
          gbtree_model_param: { num_parallel_tree: "1", num_trees: String(options.trees) },
          tree_info: new Array(options.trees).fill(0),
          trees,
        },
      },
    },
  });
}

/** `rows × features` standard-normal values with `missingRate` of them NaN. */
export function syntheticMatrix(
  rows: number,
  features: number,
  seed: number,
  missingRate = 0.05,
): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: rows * features }, () =>
    random.next() < missingRate ? Number.NaN : random.gaussian(),
  );
}

/**
 * The LightGBM `save_model` text of a forest of the same shape (complete
 * trees, random features and thresholds; missing values sent left or right
 * per split, LightGBM's missing type NaN).
 */
export function syntheticLightgbmText(options: SyntheticForestOptions): string {
  const random = createRandom(options.seed);
  const leaves = 2 ** options.depth;
  const splits = leaves - 1;
  const blocks = Array.from({ length: options.trees }, (_, t) => {
    // Splits numbered breadth-first; children of split n are 2n+1 and 2n+2, leaves follow.
    const child = (c: number) => (c < splits ? c : -(c - splits) - 1);
    const ids = Array.from({ length: splits }, (_, n) => n);
    return [
      `Tree=${t}`,
      `num_leaves=${leaves}`,
      "num_cat=0",
      `split_feature=${ids.map(() => random.int(0, options.features - 1)).join(" ")}`,
      `threshold=${ids.map(() => random.gaussian()).join(" ")}`,
      `decision_type=${ids.map(() => (random.next() < 0.5 ? 10 : 8)).join(" ")}`,
      `left_child=${ids.map((n) => child(2 * n + 1)).join(" ")}`,
      `right_child=${ids.map((n) => child(2 * n + 2)).join(" ")}`,
      `leaf_value=${Array.from({ length: leaves }, () => (random.next() - 0.5) * 0.2).join(" ")}`,
      "shrinkage=0.1",
      "",
    ].join("\n");
  });
  return [
    "tree",
    "version=v4",
    "num_class=1",
    "num_tree_per_iteration=1",
    "label_index=0",
    `max_feature_idx=${options.features - 1}`,
    "objective=binary sigmoid:1",
    "",
    ...blocks,
    "end of trees",
    "",
  ].join("\n");
}
