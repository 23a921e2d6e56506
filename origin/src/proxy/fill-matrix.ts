import {
  HAS_NUMBER,
  type ServedColumns,
  STATUS_MASK,
  STATUS_MISSING,
  STATUS_PRESENT,
} from "../features/serving/serve-columns.js";
import type { GraphPlan } from "./compile-graph.js";

/** Where a node's entity row is: `(batch << ROW_BITS) | row` in its entity's batches; `-1` = none. */
export const ROW_BITS = 16;
export const ROW_MASK = (1 << ROW_BITS) - 1;

/** What the executor read: per entity (plan order), the batches `getColumns` served. */
export type EntityBatches = readonly (readonly ServedColumns[])[];

export interface FilledMatrix {
  /** Row-major, `rows × columns`. */
  matrix: Float32Array;
  /** Per column, how many cells were present, defaulted, expired, missing: `counts[c * 4 + status]`. */
  counts: Uint32Array;
}

/**
 * Writes the graph's columns for every candidate row. A cell whose value is
 * not present takes the column's declared default, else the served value
 * (the feature's own default), else `NaN`. Row by row, with each node's
 * entity row located once per matrix row: a row's few entity rows stay in
 * cache across its columns, and a cell is two typed-array reads.
 */
export function fillMatrix(
  plan: GraphPlan,
  batches: EntityBatches,
  nodeRows: readonly Int32Array[],
  rows: number,
): FilledMatrix {
  const columns = plan.columns;
  const width = columns.length;
  const nodes = plan.nodes.length;
  // Per column: its node(s), feature index(es) and declared default (`b = -1`: a plain feature).
  const nodeA = new Int32Array(width);
  const featA = new Int32Array(width);
  const nodeB = new Int32Array(width).fill(-1);
  const featB = new Int32Array(width);
  const declared = new Float64Array(width);
  columns.forEach((column, c) => {
    const a = column.kind === "feature" ? column : column.a;
    nodeA[c] = a.node;
    featA[c] = a.featureIndex;
    if (column.kind === "dot") {
      nodeB[c] = column.b.node;
      featB[c] = column.b.featureIndex;
    }
    declared[c] = column.default;
  });
  // Per node: features per entity row (the stride of its batches), and for the current matrix row
  // its batch (or null: no entity row) and the offset of its entity row in that batch.
  const stride = new Int32Array(nodes);
  const entityOf = plan.nodes.map((node) => node.entity);
  plan.nodes.forEach((node, n) => {
    stride[n] = (plan.entities[node.entity] as GraphPlan["entities"][number]).features.length;
  });
  const batchOf: (ServedColumns | null)[] = new Array(nodes).fill(null);
  const offset = new Int32Array(nodes);
  const rowOf = new Int32Array(nodes);

  const matrix = new Float32Array(rows * width);
  const counts = new Uint32Array(width * 4);
  for (let r = 0; r < rows; r++) {
    for (let n = 0; n < nodes; n++) {
      const slots = nodeRows[n] as Int32Array;
      const at = slots[slots.length === 1 ? 0 : r] as number;
      if (at < 0) {
        batchOf[n] = null;
        continue;
      }
      const row = at & ROW_MASK;
      batchOf[n] = (batches[entityOf[n] as number] as ServedColumns[])[at >>> ROW_BITS] ?? null;
      rowOf[n] = row;
      offset[n] = row * (stride[n] as number);
    }
    const base = r * width;
    for (let c = 0; c < width; c++) {
      const a = nodeA[c] as number;
      const batch = batchOf[a] ?? null;
      const at = batch === null ? 0 : (offset[a] as number) + (featA[c] as number);
      const byte = batch === null ? STATUS_MISSING : (batch.status[at] as number);
      let status = byte & STATUS_MASK;
      let value = declared[c] as number;
      const b = nodeB[c] as number;
      if (b < 0) {
        // A declared default (not NaN) replaces anything not present; otherwise a stale value still counts.
        if (batch !== null && (byte & HAS_NUMBER) !== 0) {
          if (status === STATUS_PRESENT || Number.isNaN(value)) value = batch.numbers[at] as number;
        }
      } else {
        // A dot product: the worse status of its two vectors decides, as for a plain cell.
        const other = batchOf[b] ?? null;
        const statusB =
          other === null
            ? STATUS_MISSING
            : (other.status[(offset[b] as number) + (featB[c] as number)] as number) & STATUS_MASK;
        status = Math.max(status, statusB);
        if (
          batch !== null &&
          other !== null &&
          (status === STATUS_PRESENT || Number.isNaN(value))
        ) {
          const va = batch.values[featA[c] as number]?.[rowOf[a] as number];
          const vb = other.values[featB[c] as number]?.[rowOf[b] as number];
          if (va instanceof Float32Array && vb instanceof Float32Array) value = dot(va, vb);
        }
      }
      matrix[base + c] = value;
      (counts[c * 4 + status] as number)++;
    }
  }
  return { matrix, counts };
}

function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
