import { ModelFormatError } from "../model-format-error.js";
import type { Transform } from "../transforms.js";
import { CATEGORICAL_MASK, type LightgbmForest, type LinearLeaves } from "./lightgbm-forest.js";
import { lightgbmTransform } from "./lightgbm-objectives.js";

export interface ParsedLightgbm {
  objective: string;
  transform: Transform;
  numFeatures: number;
  numOutputs: number;
  featureNames: string[] | undefined;
  /** Random-forest mode: `predict()` divides by the number of iterations (the raw score does not). */
  averageOutput: boolean;
  forest: LightgbmForest;
}

/** One `key=value` line and where it was, for error messages. */
interface Entry {
  value: string;
  line: number;
}

interface RawTree {
  name: string;
  numLeaves: number;
  splitFeature: number[];
  threshold: number[];
  decisionType: number[];
  left: number[];
  right: number[];
  leafValue: number[];
  catBoundaries: number[];
  catThreshold: number[];
  linear: { constant: number[]; counts: number[]; features: number[]; coeff: number[] } | undefined;
}

function fail(field: string, problem: string): never {
  throw new ModelFormatError("lightgbm-text", field, problem);
}

/**
 * Parses the text LightGBM's `Booster.save_model()` writes (v2 to v4 layout):
 * the header, every `Tree=` block up to `end of trees`; the feature
 * importances and parameters after it are ignored.
 */
export function parseLightgbm(text: string): ParsedLightgbm {
  const lines = text.split(/\r?\n/);
  const header = new Map<string, Entry>();
  const blocks: Array<{ name: string; line: number; entries: Map<string, Entry> }> = [];
  let current = header;
  let ended = false;
  for (let i = 0; i < lines.length && !ended; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    if (line === "end of trees") {
      ended = true;
      break;
    }
    const eq = line.indexOf("=");
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? "" : line.slice(eq + 1);
    if (key === "Tree") {
      const entries = new Map<string, Entry>();
      blocks.push({ name: `Tree=${value}`, line: i + 1, entries });
      current = entries;
      if (value !== String(blocks.length - 1)) {
        fail(
          `Tree=${value}`,
          `line ${i + 1}: expected Tree=${blocks.length - 1} (trees must be numbered in order)`,
        );
      }
      continue;
    }
    if (current.has(key)) fail(key, `line ${i + 1}: ${key} appears twice in the same section`);
    current.set(key, { value, line: i + 1 });
  }
  if (blocks.length === 0) fail("Tree=0", "the model has no trees");
  if (!ended) fail("end of trees", "missing: the file is truncated");

  const headerInt = (key: string, min: number) => int(header, key, "", min);
  const numClass = headerInt("num_class", 1);
  const perIteration = headerInt("num_tree_per_iteration", 1);
  const numFeatures = headerInt("max_feature_idx", 0) + 1;
  if (perIteration !== numClass && perIteration !== 1) {
    fail("num_tree_per_iteration", `${perIteration} does not match num_class=${numClass}`);
  }
  if (blocks.length % perIteration !== 0) {
    fail(
      "num_tree_per_iteration",
      `${blocks.length} trees is not a whole number of iterations of ${perIteration} trees`,
    );
  }
  const objectiveLine = header.get("objective")?.value ?? "custom";
  const objective = lightgbmTransform(objectiveLine, numClass);
  if ("problem" in objective) fail("objective", objective.problem);
  if (objective.transform.kind === "softmax" && perIteration !== numClass) {
    fail(
      "num_tree_per_iteration",
      `multiclass needs ${numClass} trees per iteration, got ${perIteration}`,
    );
  }

  const featureNamesLine = header.get("feature_names")?.value.trim();
  const featureNames = featureNamesLine ? featureNamesLine.split(/\s+/) : undefined;
  if (featureNames && featureNames.length !== numFeatures) {
    fail(
      "feature_names",
      `${featureNames.length} names for ${numFeatures} features (max_feature_idx=${numFeatures - 1})`,
    );
  }

  const trees = blocks.map((block) => readTree(block.name, block.entries, numFeatures));
  return {
    objective: objectiveLine,
    transform: objective.transform,
    numFeatures,
    numOutputs: perIteration,
    featureNames,
    averageOutput: header.has("average_output"),
    forest: flatten(trees),
  };
}

function readTree(name: string, entries: Map<string, Entry>, numFeatures: number): RawTree {
  const numLeaves = int(entries, "num_leaves", name, 1);
  const numCat = entries.has("num_cat") ? int(entries, "num_cat", name, 0) : 0;
  const splits = numLeaves - 1;
  const leafValue = numbers(entries, "leaf_value", name, numLeaves);
  if (numLeaves === 1) {
    return {
      name,
      numLeaves,
      splitFeature: [],
      threshold: [],
      decisionType: [],
      left: [],
      right: [],
      leafValue,
      catBoundaries: [],
      catThreshold: [],
      linear: readLinear(entries, name, numLeaves, numFeatures),
    };
  }
  const splitFeature = numbers(entries, "split_feature", name, splits, true);
  const threshold = numbers(entries, "threshold", name, splits);
  const decisionType = numbers(entries, "decision_type", name, splits, true);
  const left = numbers(entries, "left_child", name, splits, true);
  const right = numbers(entries, "right_child", name, splits, true);
  const catBoundaries =
    numCat > 0 ? numbers(entries, "cat_boundaries", name, numCat + 1, true) : [];
  const catThreshold = numCat > 0 ? numbers(entries, "cat_threshold", name, undefined, true) : [];
  catBoundaries.forEach((b, i) => {
    const previous = i === 0 ? 0 : (catBoundaries[i - 1] as number);
    if (b < previous || b > catThreshold.length || (i === 0 && b !== 0)) {
      fail(
        `${name}.cat_boundaries[${i}]`,
        `${b} is not a valid offset into cat_threshold (${catThreshold.length} words)`,
      );
    }
  });

  const reached = new Uint8Array(splits + numLeaves);
  for (let n = 0; n < splits; n++) {
    const f = splitFeature[n] as number;
    if (f < 0 || f >= numFeatures) {
      fail(
        `${name}.split_feature[${n}]`,
        `feature ${f} is outside 0..${numFeatures - 1} (max_feature_idx=${numFeatures - 1})`,
      );
    }
    const d = decisionType[n] as number;
    if (d < 0 || d > 15) fail(`${name}.decision_type[${n}]`, `${d} is not a decision type (0..15)`);
    if (d & CATEGORICAL_MASK) {
      const cat = threshold[n] as number;
      if (!Number.isInteger(cat) || cat < 0 || cat >= numCat) {
        fail(
          `${name}.threshold[${n}]`,
          `categorical split points at category set ${cat}, but num_cat=${numCat}`,
        );
      }
    }
    for (const [key, children] of [
      ["left_child", left],
      ["right_child", right],
    ] as const) {
      const c = children[n] as number;
      const slot = c >= 0 ? c : splits + ~c;
      if ((c >= 0 && c >= splits) || (c < 0 && ~c >= numLeaves)) {
        fail(
          `${name}.${key}[${n}]`,
          `${c} is neither a split (0..${splits - 1}) nor a leaf (-1..-${numLeaves})`,
        );
      }
      if (c === 0 || reached[slot]) {
        fail(`${name}.${key}[${n}]`, `node ${c} is reached twice (the tree has a cycle)`);
      }
      reached[slot] = 1;
    }
  }
  return {
    name,
    numLeaves,
    splitFeature,
    threshold,
    decisionType,
    left,
    right,
    leafValue,
    catBoundaries,
    catThreshold,
    linear: readLinear(entries, name, numLeaves, numFeatures),
  };
}

function readLinear(
  entries: Map<string, Entry>,
  name: string,
  numLeaves: number,
  numFeatures: number,
): RawTree["linear"] {
  if (!entries.has("is_linear") || int(entries, "is_linear", name, 0) === 0) return undefined;
  const constant = numbers(entries, "leaf_const", name, numLeaves);
  const counts = numbers(entries, "num_features", name, numLeaves, true);
  const total = counts.reduce((sum, c) => sum + c, 0);
  const features = numbers(entries, "leaf_features", name, total, true);
  const coeff = numbers(entries, "leaf_coeff", name, total);
  features.forEach((f, i) => {
    if (f < 0 || f >= numFeatures)
      fail(`${name}.leaf_features[${i}]`, `feature ${f} is outside 0..${numFeatures - 1}`);
  });
  return { constant, counts, features, coeff };
}

function flatten(trees: RawTree[]): LightgbmForest {
  const total = trees.reduce((sum, t) => sum + 2 * t.numLeaves - 1, 0);
  const feature = new Int32Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const value = new Float64Array(total);
  const decision = new Uint8Array(total);
  const catStart = new Int32Array(total);
  const catWords = new Int32Array(total);
  const bits: number[] = [];
  const roots = new Int32Array(trees.length);
  const anyLinear = trees.some((t) => t.linear);
  const linear: LinearLeaves | undefined = anyLinear
    ? {
        constant: new Float64Array(total),
        start: new Int32Array(total),
        count: new Int32Array(total),
        features: new Int32Array(trees.reduce((s, t) => s + (t.linear?.features.length ?? 0), 0)),
        coeff: new Float64Array(trees.reduce((s, t) => s + (t.linear?.coeff.length ?? 0), 0)),
      }
    : undefined;
  let base = 0;
  let linearNext = 0;
  trees.forEach((tree, t) => {
    const splits = tree.numLeaves - 1;
    const index = (c: number) => base + (c >= 0 ? c : splits + ~c);
    roots[t] = base;
    const bitsBase = bits.length;
    bits.push(...tree.catThreshold.map((w) => w >>> 0));
    for (let n = 0; n < splits; n++) {
      const id = base + n;
      feature[id] = tree.splitFeature[n] as number;
      left[id] = index(tree.left[n] as number);
      right[id] = index(tree.right[n] as number);
      value[id] = tree.threshold[n] as number;
      const d = tree.decisionType[n] as number;
      decision[id] = d;
      if (d & CATEGORICAL_MASK) {
        const cat = tree.threshold[n] as number;
        catStart[id] = bitsBase + (tree.catBoundaries[cat] as number);
        catWords[id] =
          (tree.catBoundaries[cat + 1] as number) - (tree.catBoundaries[cat] as number);
      }
    }
    for (let leaf = 0; leaf < tree.numLeaves; leaf++) {
      const id = base + splits + leaf;
      feature[id] = -1;
      value[id] = tree.leafValue[leaf] as number;
      if (linear) {
        // A non-linear tree in a linear model keeps its constant leaves.
        linear.constant[id] = tree.linear
          ? (tree.linear.constant[leaf] as number)
          : (tree.leafValue[leaf] as number);
        linear.start[id] = linearNext;
        const count = tree.linear ? (tree.linear.counts[leaf] as number) : 0;
        linear.count[id] = count;
        linearNext += count;
      }
    }
    if (linear && tree.linear) {
      linear.features.set(tree.linear.features, linear.start[base + splits] as number);
      linear.coeff.set(tree.linear.coeff, linear.start[base + splits] as number);
    }
    base += 2 * tree.numLeaves - 1;
  });
  return {
    feature,
    left,
    right,
    value,
    decision,
    catStart,
    catWords,
    catBits: Uint32Array.from(bits),
    roots,
    linear,
  };
}

function int(entries: Map<string, Entry>, key: string, section: string, min: number): number {
  const field = section ? `${section}.${key}` : key;
  const entry = entries.get(key);
  if (!entry) fail(field, "missing");
  const n = Number(entry.value);
  if (entry.value.trim() === "" || !Number.isInteger(n) || n < min) {
    fail(field, `line ${entry.line}: expected an integer ≥ ${min}, got "${entry.value}"`);
  }
  return n;
}

function numbers(
  entries: Map<string, Entry>,
  key: string,
  section: string,
  length: number | undefined,
  integer = false,
): number[] {
  const field = `${section}.${key}`;
  const entry = entries.get(key);
  if (!entry) fail(field, "missing");
  const trimmed = entry.value.trim();
  const parts = trimmed === "" ? [] : trimmed.split(/\s+/);
  if (length !== undefined && parts.length !== length) {
    fail(field, `line ${entry.line}: expected ${length} values, got ${parts.length}`);
  }
  return parts.map((part, i) => {
    // LightGBM writes non-finite values as "inf"/"-inf"/"nan" in some versions.
    const n =
      part === "inf"
        ? Number.POSITIVE_INFINITY
        : part === "-inf"
          ? Number.NEGATIVE_INFINITY
          : Number(part);
    if (Number.isNaN(n) || (integer && !Number.isInteger(n))) {
      fail(
        `${field}[${i}]`,
        `line ${entry.line}: expected ${integer ? "an integer" : "a number"}, got "${part}"`,
      );
    }
    return n;
  });
}
