import { JsonFields } from "../json-fields.js";
import { CATEGORICAL, DEFAULT_LEFT, MAX_CATEGORY, type XgboostForest } from "./xgboost-forest.js";
import {
  SUPPORTED_XGBOOST_OBJECTIVES,
  type XgboostObjective,
  xgboostObjective,
} from "./xgboost-objectives.js";

export interface ParsedXgboost {
  objectiveName: string;
  objective: XgboostObjective;
  numFeatures: number;
  numOutputs: number;
  featureNames: string[] | undefined;
  /** Starting margin per output (float32), already through `ProbToMargin`. */
  baseMargin: Float32Array;
  forest: XgboostForest;
}

const J: JsonFields = new JsonFields("xgboost-json");

interface RawTree {
  path: string;
  numNodes: number;
  left: number[];
  right: number[];
  splitIndex: number[];
  splitCondition: number[];
  defaultLeft: number[];
  splitType: number[] | undefined;
  /** Node id → the categories that go right. */
  categories: Map<number, number[]>;
}

/**
 * Parses the JSON `Booster.save_model("m.json")` writes (XGBoost 1.x to 3.x)
 * into a flat {@link XgboostForest}. Throws `ModelFormatError` naming the
 * field for anything malformed or unsupported.
 */
export function parseXgboost(doc: unknown): ParsedXgboost {
  const root = J.object(doc, "(root)");
  const version = root.version === undefined ? [1] : J.numbers(root.version, "version");
  // 1.7 → 1.7: enough to compare against the release where a behaviour changed.
  const release = (version[0] ?? 1) + Math.min(version[1] ?? 0, 9) / 10;
  const learner = J.objectField(root, "learner", "");
  const param = J.objectField(learner, "learner_model_param", "learner");
  const paramPath = "learner.learner_model_param";
  const numFeatures = J.intLike(
    J.field(param, "num_feature", paramPath),
    `${paramPath}.num_feature`,
  );
  const numClass = J.intLike(J.field(param, "num_class", paramPath), `${paramPath}.num_class`);
  const numTarget =
    param.num_target === undefined ? 1 : J.intLike(param.num_target, `${paramPath}.num_target`, 1);
  if (numClass > 0 && numTarget > 1) {
    J.fail(`${paramPath}.num_target`, "multi-target multiclass models are not supported");
  }
  const numOutputs = numClass > 0 ? numClass : numTarget;

  const objectiveField = J.objectField(learner, "objective", "learner");
  const objectiveName = J.string(
    J.field(objectiveField, "name", "learner.objective"),
    "learner.objective.name",
  );
  const objective = xgboostObjective(objectiveName, release);
  if (!objective) {
    J.fail(
      "learner.objective.name",
      `objective "${objectiveName}" is not supported; supported: ${SUPPORTED_XGBOOST_OBJECTIVES.join(", ")}`,
    );
  }
  if ((objectiveName === "multi:softprob" || objectiveName === "multi:softmax") && numClass < 2) {
    J.fail(`${paramPath}.num_class`, `${objectiveName} needs num_class ≥ 2, got ${numClass}`);
  }

  const baseMargin = parseBaseScore(
    J.field(param, "base_score", paramPath),
    `${paramPath}.base_score`,
    numOutputs,
    objective,
  );
  const forest = parseBooster(
    J.objectField(learner, "gradient_booster", "learner"),
    numFeatures,
    numOutputs,
  );
  return {
    objectiveName,
    objective,
    numFeatures,
    numOutputs,
    featureNames: parseFeatureNames(learner.feature_names, numFeatures),
    baseMargin,
    forest,
  };
}

/** 1.x writes `"5E-1"`, 3.x a vector string `"[5E-1]"` or one value per output. */
function parseBaseScore(
  value: unknown,
  path: string,
  numOutputs: number,
  objective: XgboostObjective,
): Float32Array {
  const text = J.string(value, path).trim();
  const inner = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const parts = inner.split(",").map((part, i) => J.numberLike(part, `${path}[${i}]`));
  if (parts.length !== 1 && parts.length !== numOutputs) {
    const wanted = numOutputs === 1 ? "1 value" : `1 or ${numOutputs} values (one per output)`;
    J.fail(path, `expected ${wanted}, got ${parts.length}`);
  }
  const out = new Float32Array(numOutputs);
  for (let k = 0; k < numOutputs; k++) {
    const base = Math.fround(parts.length === 1 ? (parts[0] as number) : (parts[k] as number));
    const margin = objective.baseToMargin(base);
    if (!Number.isFinite(margin)) {
      J.fail(path, `base score ${base} has no finite margin for this objective`);
    }
    out[k] = margin;
  }
  return out;
}

function parseFeatureNames(value: unknown, numFeatures: number): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (value.length !== numFeatures || !value.every((v) => typeof v === "string")) {
    J.fail(
      "learner.feature_names",
      `expected ${numFeatures} strings (one per feature), got ${value.length} entries`,
    );
  }
  return value as string[];
}

function parseBooster(
  booster: Record<string, unknown>,
  numFeatures: number,
  numOutputs: number,
): XgboostForest {
  const path = "learner.gradient_booster";
  const name = J.string(J.field(booster, "name", path), `${path}.name`);
  if (name === "gbtree") {
    return parseTrees(
      J.objectField(booster, "model", path),
      `${path}.model`,
      numFeatures,
      numOutputs,
    );
  }
  if (name === "dart") {
    const inner = J.objectField(booster, "gbtree", path);
    const modelPath = `${path}.gbtree.model`;
    const forest = parseTrees(
      J.objectField(inner, "model", `${path}.gbtree`),
      modelPath,
      numFeatures,
      numOutputs,
    );
    const weights = J.numbers(J.field(booster, "weight_drop", path), `${path}.weight_drop`, {
      length: forest.roots.length,
    });
    forest.weights = Float32Array.from(weights);
    return forest;
  }
  return J.fail(
    `${path}.name`,
    `booster "${name}" is not supported; supported: gbtree, dart (gblinear models: export the weights as a linear model)`,
  );
}

function parseTrees(
  model: Record<string, unknown>,
  path: string,
  numFeatures: number,
  numOutputs: number,
): XgboostForest {
  const treesValue = J.field(model, "trees", path);
  if (!Array.isArray(treesValue)) J.fail(`${path}.trees`, "expected an array");
  const numTrees = treesValue.length;
  if (numTrees === 0) J.fail(`${path}.trees`, "the model has no trees");
  const treeInfo = J.numbers(J.field(model, "tree_info", path), `${path}.tree_info`, {
    length: numTrees,
    integer: true,
  });
  treeInfo.forEach((g, i) => {
    if (g < 0 || g >= numOutputs) {
      J.fail(`${path}.tree_info[${i}]`, `output group ${g} is outside 0..${numOutputs - 1}`);
    }
  });
  const trees = treesValue.map((t, i) => readTree(t, `${path}.trees[${i}]`, numFeatures));
  return flatten(trees, treeInfo);
}

function readTree(value: unknown, path: string, numFeatures: number): RawTree {
  const tree = J.object(value, path);
  const treeParam = J.objectField(tree, "tree_param", path);
  const numNodes = J.intLike(
    J.field(treeParam, "num_nodes", `${path}.tree_param`),
    `${path}.tree_param.num_nodes`,
    1,
  );
  if (treeParam.size_leaf_vector !== undefined) {
    const size = J.intLike(treeParam.size_leaf_vector, `${path}.tree_param.size_leaf_vector`);
    if (size > 1) {
      J.fail(
        `${path}.tree_param.size_leaf_vector`,
        `vector leaves (multi_strategy="multi_output_tree") are not supported, got ${size}`,
      );
    }
  }
  const ints = (key: string) =>
    J.numbers(J.field(tree, key, path), `${path}.${key}`, { length: numNodes, integer: true });
  const left = ints("left_children");
  const right = ints("right_children");
  const splitIndex = ints("split_indices");
  const splitCondition = J.numbers(
    J.field(tree, "split_conditions", path),
    `${path}.split_conditions`,
    // null (a bare NaN in 1.x files) is allowed where it is never read: categorical splits.
    { length: numNodes, nullAsNaN: true },
  );
  const defaultLeft = J.numbers(J.field(tree, "default_left", path), `${path}.default_left`, {
    length: numNodes,
    integer: true,
    booleans: true,
  });
  // XGBoost < 1.6 wrote no split types: every split is numerical.
  const splitType =
    tree.split_type === undefined
      ? undefined
      : J.numbers(tree.split_type, `${path}.split_type`, { length: numNodes, integer: true });
  const categories = splitType?.some((t) => t === 1)
    ? readCategories(tree, path)
    : new Map<number, number[]>();

  for (let n = 0; n < numNodes; n++) {
    const l = left[n] as number;
    const needsCondition = l === -1 || (splitType?.[n] ?? 0) === 0;
    if (needsCondition && !Number.isFinite(splitCondition[n] as number)) {
      J.fail(
        `${path}.split_conditions[${n}]`,
        `expected a finite number (the ${l === -1 ? "leaf value" : "threshold"}), got null`,
      );
    }
    if (l === -1) continue;
    const node = `${path} node ${n}`;
    if (l < 0 || l >= numNodes) J.fail(`${path}.left_children[${n}]`, `child ${l} is not a node`);
    const r = right[n] as number;
    if (r < 0 || r >= numNodes) J.fail(`${path}.right_children[${n}]`, `child ${r} is not a node`);
    const f = splitIndex[n] as number;
    if (f < 0 || f >= numFeatures) {
      J.fail(
        `${path}.split_indices[${n}]`,
        `feature ${f} is outside 0..${numFeatures - 1} (num_feature = ${numFeatures})`,
      );
    }
    const type = splitType?.[n] ?? 0;
    if (type !== 0 && type !== 1) {
      J.fail(`${path}.split_type[${n}]`, `unknown split type ${type} (0 numerical, 1 categorical)`);
    }
    if (type === 1 && !categories.has(n)) {
      J.fail(`${path}.categories_nodes`, `${node} is a categorical split but has no categories`);
    }
  }
  return {
    path,
    numNodes,
    left,
    right,
    splitIndex,
    splitCondition,
    defaultLeft,
    splitType,
    categories,
  };
}

function readCategories(tree: Record<string, unknown>, path: string): Map<number, number[]> {
  const ints = (key: string) =>
    J.numbers(J.field(tree, key, path), `${path}.${key}`, { integer: true });
  const nodes = ints("categories_nodes");
  const segments = ints("categories_segments");
  const sizes = ints("categories_sizes");
  const categories = ints("categories");
  if (segments.length !== nodes.length || sizes.length !== nodes.length) {
    J.fail(
      `${path}.categories_segments`,
      `categories_nodes, categories_segments and categories_sizes must have the same length (${nodes.length}, ${segments.length}, ${sizes.length})`,
    );
  }
  const byNode = new Map<number, number[]>();
  nodes.forEach((node, i) => {
    const start = segments[i] as number;
    const size = sizes[i] as number;
    if (start < 0 || size < 0 || start + size > categories.length) {
      J.fail(
        `${path}.categories_segments[${i}]`,
        `segment ${start}+${size} overruns categories (${categories.length} entries)`,
      );
    }
    const cats = categories.slice(start, start + size);
    cats.forEach((c, j) => {
      if (c < 0 || c >= MAX_CATEGORY) {
        J.fail(
          `${path}.categories[${start + j}]`,
          `category ${c} is outside 0..${MAX_CATEGORY - 1}`,
        );
      }
    });
    byNode.set(node, cats);
  });
  return byNode;
}

/** Renumbers every tree breadth-first with sibling pairs adjacent and concatenates them. */
function flatten(trees: RawTree[], treeInfo: number[]): XgboostForest {
  const total = trees.reduce((sum, t) => sum + t.numNodes, 0);
  const feature = new Int32Array(total);
  const child = new Int32Array(total);
  const value = new Float32Array(total);
  const flags = new Uint8Array(total);
  const catStart = new Int32Array(total);
  const catWords = new Int32Array(total);
  const bits: number[] = [];
  const roots = new Int32Array(trees.length);
  let next = 0;
  trees.forEach((tree, t) => {
    const seen = new Uint8Array(tree.numNodes);
    // Queue of [old node id, new node id].
    const queue: Array<[number, number]> = [[0, next]];
    roots[t] = next;
    next += 1;
    seen[0] = 1;
    for (let q = 0; q < queue.length; q++) {
      const [old, id] = queue[q] as [number, number];
      const l = tree.left[old] as number;
      if (l === -1) {
        feature[id] = -1;
        value[id] = tree.splitCondition[old] as number;
        continue;
      }
      const r = tree.right[old] as number;
      for (const c of [l, r]) {
        if (seen[c]) {
          J.fail(`${tree.path}.left_children`, `node ${c} is reached twice (the tree has a cycle)`);
        }
        seen[c] = 1;
      }
      feature[id] = tree.splitIndex[old] as number;
      value[id] = tree.splitCondition[old] as number;
      child[id] = next;
      flags[id] =
        (tree.defaultLeft[old] ? DEFAULT_LEFT : 0) |
        (tree.splitType?.[old] === 1 ? CATEGORICAL : 0);
      if (tree.splitType?.[old] === 1) {
        const cats = tree.categories.get(old) ?? [];
        const words = cats.length === 0 ? 0 : Math.floor(Math.max(...cats) / 32) + 1;
        catStart[id] = bits.length;
        catWords[id] = words;
        const start = bits.length;
        for (let w = 0; w < words; w++) bits.push(0);
        for (const c of cats)
          bits[start + (c >>> 5)] = ((bits[start + (c >>> 5)] as number) | (1 << (c & 31))) >>> 0;
      }
      queue.push([l, next], [r, next + 1]);
      next += 2;
    }
  });
  // Nodes unreachable from a root (deleted by pruning) were never copied: trim.
  return {
    feature: feature.slice(0, next),
    child: child.slice(0, next),
    value: value.slice(0, next),
    flags: flags.slice(0, next),
    catStart: catStart.slice(0, next),
    catWords: catWords.slice(0, next),
    catBits: Uint32Array.from(bits),
    roots,
    group: Int32Array.from(treeInfo),
    weights: undefined,
  };
}
