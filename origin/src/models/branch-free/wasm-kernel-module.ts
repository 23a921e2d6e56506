import { FunctionBody, writeModule } from "./wasm-module-writer.js";

/**
 * Where a forest sits in the kernel's memory and the constants its module
 * is specialised on (the module is written per model, so the row stride,
 * output width and node size become immediates instead of arithmetic).
 *
 * Rows are stored as `x` followed by `−x` (`2 × stride` values of
 * `valueType`), so that every split is one comparison `v <= t` whose false
 * side is where a missing value goes (`NaN <= t` is false): a split that
 * sends `NaN` right compares `x`, one that sends it left compares `−x` and
 * has its children swapped. A node is {@link nodeBytesOf} bytes, at
 * `position × nodeBytesOf(layout)`:
 *
 *   +0 i32  byte offset of `v` in a stored row
 *   +4 i32  address of the child taken when `v <= t` is false; the other
 *           child is the node before it. A leaf points at itself and has
 *           `t = NaN`, so it absorbs the remaining steps.
 *   +8      `t`, then the leaf value, both of `valueType`
 *
 * A tree is 12 bytes in the tree table: root address, steps (≥ 1), and
 * the byte offset of its output in a row of outputs (`group × 8`).
 */
export interface WasmKernelLayout {
  /** The library's precision: f32 (XGBoost: float32 features, thresholds, sums) or f64 (LightGBM). */
  valueType: "f32" | "f64";
  /** Round every sum to float32 (XGBoost accumulates margins in float32). */
  float32Sum: boolean;
  /** Byte range of the tree table. */
  treesStart: number;
  treesEnd: number;
  /** Features per row and outputs per row. */
  stride: number;
  width: number;
  /** Rows walked at once (a power of two): independent walks the CPU overlaps. */
  rowsPerBlock: number;
}

/** Field offsets of a node; see {@link WasmKernelLayout}. */
export const NODE_FEATURE = 0;
export const NODE_NEXT = 4;
export const NODE_THRESHOLD = 8;
export const TREE_BYTES = 12;

/** Bytes of one value of `type`. */
export function bytesOf(type: "f32" | "f64"): number {
  return type === "f32" ? 4 : 8;
}

/** Bytes of one node: its two i32 fields, then `t` and the leaf value. */
export function nodeBytesOf(layout: Pick<WasmKernelLayout, "valueType">): number {
  return NODE_THRESHOLD + 2 * bytesOf(layout.valueType);
}

export const SCORE_EXPORT = "addTrees";
/** The export that stores a matrix of float32 (`f32`) or float64 (`f64`) rows as the kernel reads them. */
export const storeRowsExport = (input: "f32" | "f64") => `storeRows_${input}`;

/**
 * The module's bytes. `addTrees(rows, matrix, out)` adds every tree's leaf
 * value to each row's outputs, tree by tree in model order, with the same
 * decisions and the same sums as `addTreesBranchFree`, so results are
 * bit-identical. `storeRows_<input>(rows, source, matrix)` writes the rows
 * of a plain row-major matrix of `input` values as `addTrees` reads them.
 * All three arguments are byte addresses in the imported memory.
 */
export function writeKernelModule(
  layout: WasmKernelLayout,
  inputs: ReadonlyArray<"f32" | "f64">,
): Uint8Array {
  return writeModule([
    [SCORE_EXPORT, scoreBody(layout)],
    ...inputs.map((input): [string, FunctionBody] => [
      storeRowsExport(input),
      storeRowsBody(layout, input),
    ]),
  ]);
}

function scoreBody(layout: WasmKernelLayout): FunctionBody {
  const { valueType, width, rowsPerBlock: K } = layout;
  const nodeBytes = nodeBytesOf(layout);
  const rowBytes = rowBytesOf(layout);
  const outBytes = width * 8;
  const leafOffset = NODE_THRESHOLD + bytesOf(valueType);

  const f = new FunctionBody(["i32", "i32", "i32"]);
  const [rows, matrix, out] = [0, 1, 2];
  const tree = f.local("i32");
  const root = f.local("i32");
  const steps = f.local("i32");
  const s = f.local("i32");
  const row = f.local("i32");
  const outRow = f.local("i32");
  const blocksEnd = f.local("i32");
  const rowsEnd = f.local("i32");
  const node = Array.from({ length: K }, () => f.local("i32"));

  /** node = next − nodeBytes × (v <= t), v read from row `k` of the block (a constant offset from `row`). */
  const step = (k: number) => {
    const n = node[k] as number;
    f.get(n).load("i32", NODE_NEXT);
    f.get(row)
      .get(n)
      .load("i32", NODE_FEATURE)
      .add()
      .load(valueType, k * rowBytes);
    f.get(n).load(valueType, NODE_THRESHOLD).le(valueType);
    f.i32(nodeBytes).mul().sub().set(n);
  };

  /** out[k] = out[k] + leaf, rounded to float32 after the (double) add when the library sums in float32. */
  const accumulate = (k: number) => {
    f.get(outRow)
      .get(outRow)
      .load("f64", k * outBytes);
    f.get(node[k] as number).load(valueType, leafOffset);
    if (valueType === "f32") f.promote();
    f.f64Add();
    if (layout.float32Sum) f.demote().promote();
    f.store("f64", k * outBytes);
  };

  /** Walks `count` rows at once from `row` until `end`: starts, steps, sums, advances. */
  const rowLoop = (count: number, end: number) => {
    f.block().get(row).get(end).geU().brIf(0);
    f.loop();
    for (let k = 0; k < count; k++) f.get(root).set(node[k] as number);
    f.get(steps).set(s);
    f.loop();
    for (let k = 0; k < count; k++) step(k);
    f.get(s).i32(1).sub().tee(s).brIf(0);
    f.end();
    for (let k = 0; k < count; k++) accumulate(k);
    f.get(row)
      .i32(count * rowBytes)
      .add()
      .set(row);
    f.get(outRow)
      .i32(count * outBytes)
      .add()
      .set(outRow);
    f.get(row).get(end).ltU().brIf(0);
    f.end();
    f.end();
  };

  f.get(matrix).get(rows).i32(-K).and().i32(rowBytes).mul().add().set(blocksEnd);
  f.get(matrix).get(rows).i32(rowBytes).mul().add().set(rowsEnd);
  f.i32(layout.treesStart).set(tree);
  f.loop();
  f.get(tree).load("i32", 0).set(root);
  f.get(tree).load("i32", 4).set(steps);
  f.get(out).get(tree).load("i32", 8).add().set(outRow);
  f.get(matrix).set(row);
  rowLoop(K, blocksEnd);
  rowLoop(1, rowsEnd);
  f.get(tree).i32(TREE_BYTES).add().tee(tree).i32(layout.treesEnd).ltU().brIf(0);
  f.end();
  return f;
}

/** For each value x of each source row: stores x, and −x `stride` values later (exact). */
function storeRowsBody(layout: WasmKernelLayout, input: "f32" | "f64"): FunctionBody {
  const { valueType, stride } = layout;
  const inputBytes = bytesOf(input);
  const valueBytes = bytesOf(valueType);
  const f = new FunctionBody(["i32", "i32", "i32"]);
  const [rows, source, matrix] = [0, 1, 2];
  const end = f.local("i32");
  const rowEnd = f.local("i32");
  const x = f.local(valueType);

  f.get(source)
    .get(rows)
    .i32(stride * inputBytes)
    .mul()
    .add()
    .set(end);
  f.block().get(source).get(end).geU().brIf(0);
  f.loop();
  f.get(source)
    .i32(stride * inputBytes)
    .add()
    .set(rowEnd);
  f.loop();
  f.get(matrix).get(source).load(input);
  if (input === "f32" && valueType === "f64") f.promote();
  f.tee(x).store(valueType, 0);
  f.get(matrix)
    .get(x)
    .neg(valueType)
    .store(valueType, stride * valueBytes);
  f.get(source).i32(inputBytes).add().set(source);
  f.get(matrix).i32(valueBytes).add().set(matrix);
  f.get(source).get(rowEnd).ltU().brIf(0);
  f.end();
  f.get(matrix)
    .i32(stride * valueBytes)
    .add()
    .set(matrix);
  f.get(source).get(end).ltU().brIf(0);
  f.end();
  f.end();
  return f;
}

/** Bytes of one stored row: x then −x. */
export function rowBytesOf(layout: Pick<WasmKernelLayout, "stride" | "valueType">): number {
  return 2 * layout.stride * bytesOf(layout.valueType);
}
