import type { FeatureGroupRequest, FeatureStatus } from "#shared/features/serving";
import { KEY_PART_SEPARATOR } from "../features/layout.js";
import {
  HAS_NUMBER,
  type ServedColumns,
  STATUS_MASK,
  STATUS_MISSING,
  STATUS_PRESENT,
} from "../features/serving/serve-columns.js";
import type { ServedValue } from "../features/values.js";
import type { FeatureRef, GraphPlan } from "./compile-graph.js";

/** What the executor needs of the feature server (`FeatureServer` in production). */
export interface FeatureSource {
  getColumns(groups: readonly FeatureGroupRequest[]): Promise<ServedColumns[]>;
}

/** The request inputs a graph reads besides the candidates. */
export interface GraphContext {
  userId?: string;
  sessionId?: string;
  region: string;
  surface: string;
}

/** How many cells of one column were present, defaulted, expired or missing. */
export interface ColumnStatusCounts {
  present: number;
  default: number;
  expired: number;
  missing: number;
}

export interface GraphResult {
  /** Row-major, `rows × columns.length`; `NaN` where nothing and no default was available. */
  matrix: Float32Array;
  rows: number;
  columns: readonly string[];
  status: ColumnStatusCounts[];
  /** Batched reads issued (one `FeatureServer.getColumns` per level that had keys to read). */
  reads: number;
}

/** Derived key values longer than this are not ids; treated as absent rather than read. */
const MAX_DERIVED_KEY_PART = 256;

const STATUS_NAMES: readonly FeatureStatus[] = ["present", "default", "expired", "missing"];

/** Where a node's row is: `(batch << ROW_BITS) | row` in its entity's batches; `-1` = no row. */
const ROW_BITS = 16;
const ROW_MASK = (1 << ROW_BITS) - 1;

/** One entity's reads so far: its served batches and, per key read, where its row is. */
interface EntityRows {
  batches: ServedColumns[];
  at: Map<string, number>;
}

/**
 * Runs a compiled graph for one rank request: each level is one
 * `FeatureServer.getColumns` (one batched read per entity, entities
 * concurrently), a key already read by an earlier level or another node is
 * never read again, and the columns are written into one row-major
 * Float32Array. A cell whose value is not present takes the column's
 * declared default, else the feature's own default, else `NaN` (the
 * model's missing value). Entity rows are kept as the server's columns
 * (numbers unboxed, no object per row): a 200-candidate read allocates a
 * fraction of what rows of boxed values did, so fewer young-generation
 * collections land inside a request.
 */
export async function executeGraph(
  plan: GraphPlan,
  source: FeatureSource,
  candidates: readonly string[],
  context: GraphContext,
): Promise<GraphResult> {
  const rows = candidates.length;
  const read: EntityRows[] = plan.entities.map(() => ({ batches: [], at: new Map() }));
  // Per node, per row slot (one slot for request-level nodes): where its entity row is, or -1.
  const nodeRows: Int32Array[] = plan.nodes.map((n) =>
    new Int32Array(n.perCandidate ? rows : 1).fill(-1),
  );
  const valueAt = (ref: FeatureRef, r: number): ServedValue | null => {
    const slots = nodeRows[ref.node] as Int32Array;
    const at = slots[slots.length === 1 ? 0 : r] as number;
    if (at < 0) return null;
    const node = plan.nodes[ref.node] as GraphPlan["nodes"][number];
    const batch = (read[node.entity] as EntityRows).batches[at >>> ROW_BITS] as ServedColumns;
    return batch.values[ref.featureIndex]?.[at & ROW_MASK] ?? null;
  };
  let reads = 0;

  for (const level of plan.levels) {
    const nodeKeys: (string | null)[][] = [];
    const requests: FeatureGroupRequest[] = [];
    const requested: number[] = [];
    for (const group of level) {
      const fetch = plan.entities[group.entity] as GraphPlan["entities"][number];
      const known = (read[group.entity] as EntityRows).at;
      const pending = new Set<string>();
      for (const n of group.nodes) {
        const node = plan.nodes[n] as GraphPlan["nodes"][number];
        const slots = node.perCandidate ? rows : 1;
        const keys: (string | null)[] = new Array(slots);
        for (let r = 0; r < slots; r++) {
          const key = keyOf(node.key, r, candidates, context, valueAt);
          keys[r] = key;
          if (key !== null && !known.has(key)) pending.add(key);
        }
        nodeKeys[n] = keys;
      }
      if (pending.size > 0) {
        requests.push({ entity: fetch.entity, keys: [...pending], features: [...fetch.features] });
        requested.push(group.entity);
      }
    }
    if (requests.length > 0) {
      reads++;
      const served = await source.getColumns(requests);
      served.forEach((group, g) => {
        const entity = read[requested[g] as number] as EntityRows;
        const batch = entity.batches.length << ROW_BITS;
        entity.batches.push(group);
        group.keys.forEach((key, row) => {
          entity.at.set(key, batch | row);
        });
      });
    }
    for (const group of level) {
      const known = (read[group.entity] as EntityRows).at;
      for (const n of group.nodes) {
        const keys = nodeKeys[n] as (string | null)[];
        const slots = nodeRows[n] as Int32Array;
        for (let r = 0; r < keys.length; r++) {
          const key = keys[r];
          slots[r] = key == null ? -1 : (known.get(key) ?? -1);
        }
      }
    }
  }

  const width = plan.columns.length;
  const columns = plan.columns;
  const matrix = new Float32Array(rows * width);
  // Per column, how many cells were present, defaulted, expired, missing: counts[c * 4 + status].
  const counts = new Uint32Array(width * 4);
  const cells = columns.map((column) => cellsOf(column, plan, read, nodeRows));
  // Row by row: a row's few entity rows stay in cache across its columns
  // (column by column touched 200 rows' arrays per column, ~3x slower).
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let c = 0; c < width; c++) {
      const cell = cells[c] as Cells;
      const status =
        cell.b === null
          ? featureCell(matrix, base + c, cell, r)
          : dotCell(matrix, base + c, cell, r);
      (counts[c * 4 + status] as number)++;
    }
  }
  return {
    matrix,
    rows,
    columns: plan.columnNames,
    status: columns.map((_, c) => {
      const out = {} as ColumnStatusCounts;
      STATUS_NAMES.forEach((name, i) => {
        out[name] = counts[c * 4 + i] as number;
      });
      return out;
    }),
    reads,
  };
}

/** One feature reference of a column, resolved to its node's row slots and its entity's batches. */
interface CellSource {
  slots: Int32Array;
  batches: ServedColumns[];
  featureIndex: number;
  /** Features per row in the entity's batches (the stride of `numbers` and `status`). */
  width: number;
}

/** A column's sources: `a` alone for a feature column, `a` and `b` for a dot product. */
interface Cells {
  a: CellSource;
  b: CellSource | null;
  default: number;
}

function cellsOf(
  column: GraphPlan["columns"][number],
  plan: GraphPlan,
  read: readonly EntityRows[],
  nodeRows: readonly Int32Array[],
): Cells {
  const source = (ref: FeatureRef): CellSource => {
    const node = plan.nodes[ref.node] as GraphPlan["nodes"][number];
    return {
      slots: nodeRows[ref.node] as Int32Array,
      batches: (read[node.entity] as EntityRows).batches,
      featureIndex: ref.featureIndex,
      width: (plan.entities[node.entity] as GraphPlan["entities"][number]).features.length,
    };
  };
  return column.kind === "feature"
    ? { a: source(column), b: null, default: column.default }
    : { a: source(column.a), b: source(column.b), default: column.default };
}

/** Where source `s` has matrix row `r`'s entity row (`(batch << ROW_BITS) | row`), or -1. */
function rowOf(s: CellSource, r: number): number {
  return s.slots[s.slots.length === 1 ? 0 : r] as number;
}

/** The status byte of source `s` at a located row (`STATUS_MISSING` where there is none). */
function statusByte(s: CellSource, at: number): number {
  if (at < 0) return STATUS_MISSING;
  const batch = s.batches[at >>> ROW_BITS] as ServedColumns;
  return batch.status[(at & ROW_MASK) * s.width + s.featureIndex] as number;
}

/** Writes one feature cell (its value, or the declared default unless present); returns its status. */
function featureCell(matrix: Float32Array, index: number, cell: Cells, r: number): number {
  const s = cell.a;
  const at = rowOf(s, r);
  const byte = statusByte(s, at);
  const status = byte & STATUS_MASK;
  let value = cell.default;
  // A declared default (not NaN) replaces anything not present; otherwise a stale value still counts.
  if ((byte & HAS_NUMBER) !== 0 && (status === STATUS_PRESENT || Number.isNaN(value))) {
    const batch = s.batches[at >>> ROW_BITS] as ServedColumns;
    value = batch.numbers[(at & ROW_MASK) * s.width + s.featureIndex] as number;
  }
  matrix[index] = value;
  return status;
}

/** The served vector of source `s` at a located row, if it is one. */
function vectorAt(s: CellSource, at: number): Float32Array | null {
  if (at < 0) return null;
  const batch = s.batches[at >>> ROW_BITS] as ServedColumns;
  const value = batch.values[s.featureIndex]?.[at & ROW_MASK];
  return value instanceof Float32Array ? value : null;
}

/** A dot-product cell: the worse status of its two vectors decides, as for a plain cell. */
function dotCell(matrix: Float32Array, index: number, cell: Cells, r: number): number {
  const a = cell.a;
  const b = cell.b as CellSource;
  const atA = rowOf(a, r);
  const atB = rowOf(b, r);
  const status = Math.max(statusByte(a, atA) & STATUS_MASK, statusByte(b, atB) & STATUS_MASK);
  let value = cell.default;
  if (status === STATUS_PRESENT || Number.isNaN(value)) {
    const va = vectorAt(a, atA);
    const vb = vectorAt(b, atB);
    if (va !== null && vb !== null) value = dot(va, vb);
  }
  matrix[index] = value;
  return status;
}

function keyOf(
  parts: GraphPlan["nodes"][number]["key"],
  r: number,
  candidates: readonly string[],
  context: GraphContext,
  valueAt: (ref: FeatureRef, r: number) => ServedValue | null,
): string | null {
  let key = "";
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p] as (typeof parts)[number];
    let value: unknown;
    if (part.kind === "input") {
      const input = part.input;
      value = input === "candidate" ? candidates[r] : context[input];
    } else {
      value = valueAt(part, r);
    }
    // A key part that is absent, empty or would split the key wrongly leaves the row without this node.
    if (
      typeof value !== "string" ||
      value.length === 0 ||
      value.length > MAX_DERIVED_KEY_PART ||
      value.includes(KEY_PART_SEPARATOR)
    ) {
      return null;
    }
    key = p === 0 ? value : key + KEY_PART_SEPARATOR + value;
  }
  return key;
}

function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
