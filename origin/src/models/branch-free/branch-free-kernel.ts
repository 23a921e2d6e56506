import type { FeatureMatrix } from "../model.js";
import type { BranchFreeForest, ScoringRules } from "./branch-free-forest.js";
import { compileWasmTreeKernel, type KernelShape } from "./wasm-kernel.js";

/**
 * Which scoring path a model uses. `wasm` (the default): the branch-free
 * walk as a WebAssembly module written per model, ~3× faster than
 * `specialised` at 200 rows × 300 trees (bench/README.md, "WebAssembly
 * scoring kernel"), which it falls back to where WebAssembly is refused;
 * `specialised`: the same walk compiled to JS per model; `shared`: the same walk, one JS function
 * for all models; `walk`: a plain node-by-node walk, which is also what
 * forests the branch-free layout cannot express always use. Tests check
 * that all of them agree, the branch-free ones bit for bit.
 */
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/** Every {@link KernelChoice}, for tests that check they all agree. */
export const KERNEL_CHOICES = ["specialised", "wasm", "shared", "walk"] as const;

/** Adds every tree's leaf value to each row's outputs (`width` per row), trees in model order. */
export type TreeKernel = (
  m: FeatureMatrix,
  rows: number,
  stride: number,
  width: number,
  out: Float64Array,
) => void;

/** `true`/`false` as 1/0 without a branch: V8 does arithmetic on booleans as bits. */
type Bit = unknown;

/**
 * The walk as ordinary TypeScript, one function shared by all models; the
 * fallback when code generation is disabled, and the reference the
 * generated kernel is tested against.
 */
export function addTreesBranchFree(
  f: BranchFreeForest,
  rules: ScoringRules,
  m: FeatureMatrix,
  rows: number,
  stride: number,
  width: number,
  out: Float64Array,
): void {
  const { feature, child, threshold, missingLeft, leaf, roots, depth, group } = f;
  const inclusive = rules.compare === "<=";
  const sum = rules.float32Sum ? Math.fround : (x: number) => x;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t] as number;
    const steps = depth[t] as number;
    const g = group[t] as number;
    for (let r = 0; r < rows; r++) {
      let node = root;
      const o = r * stride;
      for (let s = 0; s < steps; s++) {
        const x = m[o + (feature[node] as number)] as number;
        const tv = threshold[node] as number;
        const goesLeft = inclusive ? x <= tv : x < tv;
        node =
          (child[node] as number) +
          1 -
          ((goesLeft as Bit as number) |
            ((Number.isNaN(x) as Bit as number) & (missingLeft[node] as number)));
      }
      const i = r * width + g;
      out[i] = sum((out[i] as number) + (leaf[node] as number));
    }
  }
}

const ARRAYS = ["feature", "child", "threshold", "missingLeft", "leaf", "roots", "depth", "group"];

/**
 * The walk as source, compiled once per model. Why: V8 (Node 20) reloads a
 * typed array's data pointer and length on every access when the array is a
 * parameter, but folds them to constants when it is captured by a closure
 * that exists exactly once. A fresh `new Function` per model gives each
 * model its own such closure; with four rows walked at once that is ~3×
 * faster than a plain node walk at 200 rows × 300 trees. The source is
 * fixed text chosen from two operators and two sums; model data is passed
 * in as arguments, never spliced into code.
 */
function kernelSource(rules: ScoringRules): string {
  const cmp = rules.compare === "<=" ? "<=" : "<";
  const add = (i: string, n: string) =>
    rules.float32Sum ? `Math.fround(out[${i}] + leaf[${n}])` : `out[${i}] + leaf[${n}]`;
  return `
"use strict";
function step(m, node, offset) {
  const x = m[offset + feature[node]];
  return child[node] + 1 - ((x ${cmp} threshold[node]) | (Number.isNaN(x) & missingLeft[node]));
}
return function addTrees(m, rows, stride, width, out) {
  const quad = rows - (rows % 4);
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t];
    const steps = depth[t];
    const g = group[t];
    for (let r = 0; r < quad; r += 4) {
      let a = root, b = root, c = root, d = root;
      const o = r * stride;
      for (let s = 0; s < steps; s++) {
        a = step(m, a, o);
        b = step(m, b, o + stride);
        c = step(m, c, o + 2 * stride);
        d = step(m, d, o + 3 * stride);
      }
      const i = r * width + g;
      out[i] = ${add("i", "a")};
      out[i + width] = ${add("i + width", "b")};
      out[i + 2 * width] = ${add("i + 2 * width", "c")};
      out[i + 3 * width] = ${add("i + 3 * width", "d")};
    }
    for (let r = quad; r < rows; r++) {
      let a = root;
      for (let s = 0; s < steps; s++) a = step(m, a, r * stride);
      const i = r * width + g;
      out[i] = ${add("i", "a")};
    }
  }
};
`;
}

/**
 * A scoring kernel for one forest: generated and specialised unless
 * `specialise` is false or code generation is disabled
 * (`--disallow-code-generation-from-strings`); results are identical.
 */
export function compileTreeKernel(
  forest: BranchFreeForest,
  rules: ScoringRules,
  specialise = true,
): TreeKernel {
  const shared: TreeKernel = (m, rows, stride, width, out) =>
    addTreesBranchFree(forest, rules, m, rows, stride, width, out);
  if (!specialise) return shared;
  try {
    const factory = new Function(...ARRAYS, kernelSource(rules)) as (
      ...arrays: unknown[]
    ) => TreeKernel;
    return factory(
      forest.feature,
      forest.child,
      forest.threshold,
      forest.missingLeft,
      forest.leaf,
      forest.roots,
      forest.depth,
      forest.group,
    );
  } catch {
    return shared;
  }
}

/**
 * The kernel a model scores with: `undefined` (walk node by node) when
 * `choice` is `walk` or `toBranchFree` cannot lay the forest out, else
 * compiled once here, at load. `toBranchFree` runs only when it is needed.
 */
export function chooseTreeKernel(
  choice: KernelChoice | undefined,
  rules: ScoringRules,
  shape: KernelShape,
  toBranchFree: () => BranchFreeForest | undefined,
): TreeKernel | undefined {
  const kernel = choice ?? "wasm";
  if (kernel === "walk") return undefined;
  const forest = toBranchFree();
  if (!forest) return undefined;
  const js = compileTreeKernel(forest, rules, kernel !== "shared");
  return (kernel === "wasm" && compileWasmTreeKernel(forest, rules, shape, js)) || js;
}
