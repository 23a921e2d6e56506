import type { FeatureMatrix } from "../model.js";
import type { BranchFreeForest, ScoringRules } from "./branch-free-forest.js";
import type { TreeKernel } from "./branch-free-kernel.js";
import {
  bytesOf,
  NODE_FEATURE,
  NODE_NEXT,
  NODE_THRESHOLD,
  nodeBytesOf,
  rowBytesOf,
  SCORE_EXPORT,
  storeRowsExport,
  TREE_BYTES,
  type WasmKernelLayout,
  writeKernelModule,
} from "./wasm-kernel-module.js";

/** What the model's matrix and outputs look like; the module is specialised on both. */
export interface KernelShape {
  /** Features per row (the matrix's stride). */
  features: number;
  /** Outputs per row. */
  outputs: number;
}

const PAGE = 65_536;
/** Rows the first memory has room for; it grows when a call brings more. */
const INITIAL_ROWS = 256;
/** Rows walked at once; 8 measured faster than 4 or 16 (bench/README.md, WebAssembly scoring kernel). */
const ROWS_PER_BLOCK = 8;

type Kernel = (rows: number, matrix: number, out: number) => void;

/**
 * The part of the WebAssembly JS API used here. Node has it globally, but
 * the origin's type set (`@types/node` 20, no DOM lib) does not declare it.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * The branch-free walk as a WebAssembly module written for this forest at
 * load: its nodes are copied once into the module's memory, and each call
 * copies the matrix and outputs in and the outputs back. Results are
 * bit-identical to `addTreesBranchFree`. `undefined` when WebAssembly is
 * unavailable or refused, or the forest does not fit the layout (a feature
 * or group outside the shape, a NaN threshold on a split that sends missing
 * values left). A call with another stride or width than `shape` goes to
 * `fallback`.
 */
export function compileWasmTreeKernel(
  forest: BranchFreeForest,
  rules: ScoringRules,
  shape: KernelShape,
  fallback: TreeKernel,
  rowsPerBlock = ROWS_PER_BLOCK,
): TreeKernel | undefined {
  if (!wasm || forest.roots.length === 0) return undefined;
  const valueType = forest.threshold instanceof Float32Array ? "f32" : "f64";
  const treesStart = align(forest.feature.length * nodeBytesOf({ valueType }));
  const treesEnd = treesStart + forest.roots.length * TREE_BYTES;
  const dynamicStart = align(treesEnd);
  if (dynamicStart > 0x4000_0000) return undefined;
  const layout: WasmKernelLayout = {
    valueType,
    float32Sum: rules.float32Sum,
    treesStart,
    treesEnd,
    stride: shape.features,
    width: shape.outputs,
    rowsPerBlock,
  };
  // XGBoost models round their matrix to float32 first; LightGBM reads either as doubles.
  const inputs = valueType === "f32" ? (["f32"] as const) : (["f32", "f64"] as const);
  const rowBytes = rowBytesOf(layout);
  let memory: WasmMemory;
  let score: Kernel;
  let storeRows: Record<"f32" | "f64", Kernel | undefined>;
  try {
    memory = new wasm.Memory({ initial: pagesFor(dynamicStart + INITIAL_ROWS * 3 * rowBytes) });
    if (!writeForest(forest, rules, layout, memory.buffer)) return undefined;
    const module = new wasm.Module(writeKernelModule(layout, inputs));
    const { exports } = new wasm.Instance(module, { env: { memory } });
    score = exports[SCORE_EXPORT] as Kernel;
    storeRows = {
      f32: exports[storeRowsExport("f32")] as Kernel,
      f64: exports[storeRowsExport("f64")] as Kernel | undefined,
    };
  } catch {
    // Code generation disallowed (e.g. a WebAssembly CSP) or out of memory: score in JS.
    return undefined;
  }
  let f32 = new Float32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);

  return (m: FeatureMatrix, rows: number, stride: number, width: number, out: Float64Array) => {
    if (stride !== shape.features || width !== shape.outputs || rows === 0) {
      fallback(m, rows, stride, width, out);
      return;
    }
    const input = m instanceof Float64Array && storeRows.f64 ? "f64" : "f32";
    const outputs = rows * width;
    // Outputs, then the rows as the caller gave them, then the rows as the kernel reads them.
    const sourceStart = align(dynamicStart + outputs * 8);
    const matrixStart = align(sourceStart + rows * stride * bytesOf(input));
    const end = matrixStart + rows * rowBytes;
    if (end > memory.buffer.byteLength) {
      memory.grow(pagesFor(end) - memory.buffer.byteLength / PAGE);
      f32 = new Float32Array(memory.buffer);
      f64 = new Float64Array(memory.buffer);
    }
    // `set` converts: a float64 matrix lands as float32 (rounded, as XGBoost reads it) in f32.
    if (input === "f32") f32.set(m.subarray(0, rows * stride), sourceStart / 4);
    else f64.set(m.subarray(0, rows * stride), sourceStart / 8);
    (storeRows[input] as Kernel)(rows, sourceStart, matrixStart);
    f64.set(out.subarray(0, outputs), dynamicStart / 8);
    score(rows, matrixStart, dynamicStart);
    out.set(f64.subarray(dynamicStart / 8, dynamicStart / 8 + outputs));
  };
}

/**
 * Copies the forest into `buffer` per {@link WasmKernelLayout}; `false` if
 * it does not fit: a split reading a feature outside the row, a tree adding
 * to an output outside the row (the JS kernel would read or write a
 * neighbouring row), or a NaN threshold on a split that sends missing
 * values left (`NaN` must be the comparison's false side, and a NaN
 * threshold makes every value take it).
 */
function writeForest(
  f: BranchFreeForest,
  rules: ScoringRules,
  layout: WasmKernelLayout,
  buffer: ArrayBuffer,
): boolean {
  const { valueType, stride, width, treesStart } = layout;
  const nodeBytes = nodeBytesOf(layout);
  const i32 = new Int32Array(buffer);
  const values = valueType === "f32" ? new Float32Array(buffer) : new Float64Array(buffer);
  const valueBytes = bytesOf(valueType);
  const nodes = f.feature.length;
  const below = valueType === "f32" ? float32Below : float64Below;
  // Children of a split that sends NaN left swap places: its comparison is on −x, true = right.
  const position = new Int32Array(nodes);
  for (let i = 0; i < nodes; i++) position[i] = i;
  for (let i = 0; i < nodes; i++) {
    const child = f.child[i] as number;
    if (child > i && f.missingLeft[i]) {
      position[child] = child + 1;
      position[child + 1] = child;
    }
  }
  for (let i = 0; i < nodes; i++) {
    const feature = f.feature[i] as number;
    const child = f.child[i] as number;
    if (feature < 0 || feature >= stride || child < -1 || child + 1 >= nodes) return false;
    const at = (position[i] as number) * nodeBytes;
    const threshold = f.threshold[i] as number;
    let offset = feature;
    let t = Number.NaN; // a leaf's: `v <= NaN` is false, it stays
    if (child > i && !f.missingLeft[i]) {
      // NaN right: true = left. `x < t` is `x <= below(t)`.
      t = rules.compare === "<" ? below(threshold) : threshold;
    } else if (child > i) {
      // NaN left: true = right, i.e. x >= t (for "<") or x > t (for "<="), asked of −x.
      if (Number.isNaN(threshold)) return false;
      offset = feature + stride;
      t = rules.compare === "<" ? -threshold : below(-threshold);
    }
    i32[(at + NODE_FEATURE) / 4] = offset * valueBytes;
    // The false side: for a split its second child (right, or left when swapped), for a leaf itself.
    i32[(at + NODE_NEXT) / 4] = (child > i ? child + 1 : (position[i] as number)) * nodeBytes;
    values[(at + NODE_THRESHOLD) / valueBytes] = t;
    values[(at + NODE_THRESHOLD) / valueBytes + 1] = f.leaf[i] as number;
  }
  for (let t = 0; t < f.roots.length; t++) {
    const group = f.group[t] as number;
    if (group < 0 || group >= width) return false;
    const at = (treesStart + t * TREE_BYTES) / 4;
    i32[at] = (position[f.roots[t] as number] as number) * nodeBytes;
    // A leaf absorbs extra steps, so a one-leaf tree can take one.
    i32[at + 1] = Math.max(1, f.depth[t] as number);
    i32[at + 2] = group * 8;
  }
  return true;
}

const f32Bits = new Float32Array(1);
const f32Int = new Int32Array(f32Bits.buffer);
const f64Bits = new Float64Array(1);
const f64Int = new BigInt64Array(f64Bits.buffer);

/**
 * The largest float32 below `t` (NaN when there is none), so that for
 * float32 x, `x < t` ⇔ `x <= float32Below(t)`.
 */
export function float32Below(t: number): number {
  if (Number.isNaN(t) || t === Number.NEGATIVE_INFINITY) return Number.NaN;
  f32Bits[0] = t;
  if (t === 0)
    f32Int[0] = 0x8000_0001; // −(smallest subnormal), below both zeros
  else f32Int[0] = (f32Int[0] as number) + (t > 0 ? -1 : 1);
  return f32Bits[0] as number;
}

/** The largest double below `t` (NaN when there is none): `x < t` ⇔ `x <= float64Below(t)`. */
export function float64Below(t: number): number {
  if (Number.isNaN(t) || t === Number.NEGATIVE_INFINITY) return Number.NaN;
  if (t === 0) return -Number.MIN_VALUE;
  f64Bits[0] = t;
  f64Int[0] = (f64Int[0] as bigint) + (t > 0 ? -1n : 1n);
  return f64Bits[0] as number;
}

function align(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE);
}
