import type { BranchFreeForest } from "./branch-free-forest.js";

/** `true`/`false` as 1/0 without a branch: V8 adds booleans as bits. */
type Bit = unknown;

/** One branch-free step of a walk (see {@link BranchFreeForest}). */
function step(f: BranchFreeForest, m: Float32Array, node: number, offset: number): number {
  const x = m[offset + (f.feature[node] as number)] as number;
  return (
    (f.child[node] as number) +
    1 -
    (((x < (f.threshold[node] as number)) as Bit as number) |
      ((Number.isNaN(x) as Bit as number) & (f.defaultLeft[node] as number)))
  );
}

/**
 * Adds every tree's leaf value to each row's margin (float32 accumulation,
 * tree order), walking four rows at once so their independent memory loads
 * overlap. `out` holds `width` margins per row; tree `t` adds to `group[t]`.
 */
export function addTreesBranchFree(
  f: BranchFreeForest,
  group: Int32Array,
  m: Float32Array,
  rows: number,
  stride: number,
  width: number,
  out: Float64Array,
): void {
  const { roots, depth, leaf } = f;
  const quad = rows - (rows % 4);
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t] as number;
    const steps = depth[t] as number;
    const g = group[t] as number;
    for (let r = 0; r < quad; r += 4) {
      let a = root;
      let b = root;
      let c = root;
      let d = root;
      const o = r * stride;
      for (let s = 0; s < steps; s++) {
        a = step(f, m, a, o);
        b = step(f, m, b, o + stride);
        c = step(f, m, c, o + 2 * stride);
        d = step(f, m, d, o + 3 * stride);
      }
      const i = r * width + g;
      out[i] = Math.fround((out[i] as number) + (leaf[a] as number));
      out[i + width] = Math.fround((out[i + width] as number) + (leaf[b] as number));
      out[i + 2 * width] = Math.fround((out[i + 2 * width] as number) + (leaf[c] as number));
      out[i + 3 * width] = Math.fround((out[i + 3 * width] as number) + (leaf[d] as number));
    }
    for (let r = quad; r < rows; r++) {
      let a = root;
      for (let s = 0; s < steps; s++) a = step(f, m, a, r * stride);
      const i = r * width + g;
      out[i] = Math.fround((out[i] as number) + (leaf[a] as number));
    }
  }
}
