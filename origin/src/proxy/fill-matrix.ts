import {
  HAS_NUMBER,
  type ServedColumns,
  STATUS_MASK,
  STATUS_MISSING,
  STATUS_PRESENT,
} from "../features/serving/serve-columns.js";
import type { FeatureRef, GraphPlan } from "./compile-graph.js";

/** Where a node's entity row is: `(batch << ROW_BITS) | row` in its entity's batches; `-1` = none. */
export const ROW_BITS = 16;
export const ROW_MASK = (1 << ROW_BITS) - 1;

/** What the executor read: per entity (plan order), the batches `getColumns` served. */
export type EntityBatches = readonly (readonly ServedColumns[])[];

/** A plan's columns laid out for filling: built once per plan (plans are immutable). */
interface MatrixLayout {
  /** Per node: the plain columns it feeds (matrix column and feature index, in column order). */
  nodeColumns: readonly { columns: Int32Array; features: Int32Array }[];
  /** Per node: features per entity row, the stride of its entity's batches. */
  stride: Int32Array;
  /** The dot-product columns, if any. */
  dots: readonly { column: number; a: FeatureRef; b: FeatureRef }[];
  /** Per column: its declared default (`NaN` = none). */
  declared: Float64Array;
}

const layouts = new WeakMap<GraphPlan, MatrixLayout>();

function layoutOf(plan: GraphPlan): MatrixLayout {
  let layout = layouts.get(plan);
  if (layout) return layout;
  const byNode = plan.nodes.map(() => ({ columns: [] as number[], features: [] as number[] }));
  const dots: MatrixLayout["dots"][number][] = [];
  plan.columns.forEach((column, c) => {
    if (column.kind === "dot") {
      dots.push({ column: c, a: column.a, b: column.b });
      return;
    }
    const list = byNode[column.node] as (typeof byNode)[number];
    list.columns.push(c);
    list.features.push(column.featureIndex);
  });
  layout = {
    nodeColumns: byNode.map((list) => ({
      columns: Int32Array.from(list.columns),
      features: Int32Array.from(list.features),
    })),
    stride: Int32Array.from(
      plan.nodes,
      (node) => (plan.entities[node.entity] as GraphPlan["entities"][number]).features.length,
    ),
    dots,
    declared: Float64Array.from(plan.columns, (column) => column.default),
  };
  layouts.set(plan, layout);
  return layout;
}

/**
 * Writes the graph's columns for every candidate row (row-major, `rows ×
 * columns`). A cell whose value is not present takes the column's declared
 * default, else the served value (the feature's own default), else `NaN`.
 * Node by node: for each matrix row the node's entity row is located once,
 * and each of its columns is then two typed-array reads from that row's
 * status and numbers, held in locals (no object and no property load per
 * cell). Statuses are not counted here: see {@link countStatuses}.
 */
export function fillMatrix(
  plan: GraphPlan,
  batches: EntityBatches,
  nodeRows: readonly Int32Array[],
  rows: number,
): Float32Array {
  const { nodeColumns, stride, dots, declared } = layoutOf(plan);
  const width = plan.columns.length;
  const matrix = new Float32Array(rows * width);
  for (let n = 0; n < nodeColumns.length; n++) {
    const { columns, features } = nodeColumns[n] as MatrixLayout["nodeColumns"][number];
    const k = columns.length;
    if (k === 0) continue;
    const slots = nodeRows[n] as Int32Array;
    const perRow = slots.length !== 1;
    const entityBatches = batches[(plan.nodes[n] as GraphPlan["nodes"][number]).entity] ?? [];
    const rowWidth = stride[n] as number;
    for (let r = 0; r < rows; r++) {
      const at = slots[perRow ? r : 0] as number;
      const batch = at < 0 ? undefined : entityBatches[at >>> ROW_BITS];
      const base = r * width;
      if (batch === undefined) {
        // No entity row: every column of the node is missing and takes its declared default.
        for (let j = 0; j < k; j++) {
          const c = columns[j] as number;
          matrix[base + c] = declared[c] as number;
        }
        continue;
      }
      const status = batch.status;
      const numbers = batch.numbers;
      const offset = (at & ROW_MASK) * rowWidth;
      for (let j = 0; j < k; j++) {
        const c = columns[j] as number;
        const i = offset + (features[j] as number);
        const byte = status[i] as number;
        let value = declared[c] as number;
        // A declared default (not NaN) replaces anything not present; otherwise a stale value still counts.
        if (
          (byte & HAS_NUMBER) !== 0 &&
          ((byte & STATUS_MASK) === STATUS_PRESENT || Number.isNaN(value))
        ) {
          value = numbers[i] as number;
        }
        matrix[base + c] = value;
      }
    }
  }
  for (const { column, a, b } of dots) {
    const fallback = declared[column] as number;
    for (let r = 0; r < rows; r++) {
      const ea = entityRow(plan, batches, nodeRows, a.node, r);
      const eb = entityRow(plan, batches, nodeRows, b.node, r);
      let value = fallback;
      if (ea !== null && eb !== null) {
        const status = Math.max(statusOf(ea, a, stride), statusOf(eb, b, stride));
        if (status === STATUS_PRESENT || Number.isNaN(value)) {
          const va = ea.batch.values[a.featureIndex]?.[ea.row];
          const vb = eb.batch.values[b.featureIndex]?.[eb.row];
          if (va instanceof Float32Array && vb instanceof Float32Array) value = dot(va, vb);
        }
      }
      matrix[r * width + column] = value;
    }
  }
  return matrix;
}

/**
 * Per column, how many cells were present, defaulted, expired or missing:
 * `counts[c * 4 + status]`. A dot product's cell has the worse status of
 * its two vectors. Only debug answers show these, so they are counted on
 * demand, not while filling.
 */
export function countStatuses(
  plan: GraphPlan,
  batches: EntityBatches,
  nodeRows: readonly Int32Array[],
  rows: number,
): Uint32Array {
  const { stride } = layoutOf(plan);
  const counts = new Uint32Array(plan.columns.length * 4);
  plan.columns.forEach((column, c) => {
    for (let r = 0; r < rows; r++) {
      let status: number;
      if (column.kind === "dot") {
        const ea = entityRow(plan, batches, nodeRows, column.a.node, r);
        const eb = entityRow(plan, batches, nodeRows, column.b.node, r);
        status = Math.max(
          ea === null ? STATUS_MISSING : statusOf(ea, column.a, stride),
          eb === null ? STATUS_MISSING : statusOf(eb, column.b, stride),
        );
      } else {
        const e = entityRow(plan, batches, nodeRows, column.node, r);
        status = e === null ? STATUS_MISSING : statusOf(e, column, stride);
      }
      (counts[c * 4 + status] as number)++;
    }
  });
  return counts;
}

/** Where a node's entity row is for matrix row `r`: its batch and row, or null. */
function entityRow(
  plan: GraphPlan,
  batches: EntityBatches,
  nodeRows: readonly Int32Array[],
  node: number,
  r: number,
): { batch: ServedColumns; row: number } | null {
  const slots = nodeRows[node] as Int32Array;
  const at = slots[slots.length === 1 ? 0 : r] as number;
  if (at < 0) return null;
  const entity = (plan.nodes[node] as GraphPlan["nodes"][number]).entity;
  const batch = batches[entity]?.[at >>> ROW_BITS];
  return batch === undefined ? null : { batch, row: at & ROW_MASK };
}

/** The status code of a feature in an entity row. */
function statusOf(
  entity: { batch: ServedColumns; row: number },
  ref: FeatureRef,
  stride: Int32Array,
): number {
  const at = entity.row * (stride[ref.node] as number) + ref.featureIndex;
  return (entity.batch.status[at] as number) & STATUS_MASK;
}

function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
