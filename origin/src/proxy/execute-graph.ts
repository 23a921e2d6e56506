import type {
  FeatureGroupRequest,
  FeatureLogContext,
  FeatureStatus,
} from "#shared/features/serving";
import { KEY_PART_SEPARATOR } from "../features/layout.js";
import type { ServedGroup, ServedRow } from "../features/serving/feature-server.js";
import type { ServedValue } from "../features/values.js";
import type { FeatureRef, GraphPlan } from "./compile-graph.js";

/** What the executor needs of the feature server (`FeatureServer` in production). */
export interface FeatureSource {
  get(groups: readonly FeatureGroupRequest[], log?: FeatureLogContext): Promise<ServedGroup[]>;
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
  /** Batched reads issued (one `FeatureServer.get` per level that had keys to read). */
  reads: number;
}

/** Derived key values longer than this are not ids; treated as absent rather than read. */
const MAX_DERIVED_KEY_PART = 256;

const STATUS_NAMES: readonly FeatureStatus[] = ["present", "default", "expired", "missing"];

/**
 * Runs a compiled graph for one rank request: each level is one
 * `FeatureServer.get` (one batched read per entity, entities concurrently),
 * a key already read by an earlier level or another node is never read
 * again, and the columns are written into one row-major Float32Array.
 * A cell whose value is not present takes the column's declared default,
 * else the feature's own default, else `NaN` (the model's missing value).
 */
export async function executeGraph(
  plan: GraphPlan,
  source: FeatureSource,
  candidates: readonly string[],
  context: GraphContext,
): Promise<GraphResult> {
  const rows = candidates.length;
  const read = plan.entities.map(() => new Map<string, ServedRow>());
  // Per node, per row slot (one slot for request-level nodes): the entity row, or null.
  const nodeRows: (ServedRow | null)[][] = plan.nodes.map((n) =>
    new Array(n.perCandidate ? rows : 1).fill(null),
  );
  const valueAt = (ref: FeatureRef, r: number): ServedValue | null => {
    const slots = nodeRows[ref.node] as (ServedRow | null)[];
    const row = slots.length === 1 ? slots[0] : slots[r];
    return row ? (row.values[ref.featureIndex] ?? null) : null;
  };
  let reads = 0;

  for (const level of plan.levels) {
    const nodeKeys: (string | null)[][] = [];
    const requests: FeatureGroupRequest[] = [];
    const requested: number[] = [];
    for (const group of level) {
      const fetch = plan.entities[group.entity] as GraphPlan["entities"][number];
      const known = read[group.entity] as Map<string, ServedRow>;
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
      const served = await source.get(requests);
      served.forEach((group, g) => {
        const known = read[requested[g] as number] as Map<string, ServedRow>;
        for (const row of group.rows) known.set(row.key, row);
      });
    }
    for (const group of level) {
      const known = read[group.entity] as Map<string, ServedRow>;
      for (const n of group.nodes) {
        const keys = nodeKeys[n] as (string | null)[];
        const slots = nodeRows[n] as (ServedRow | null)[];
        for (let r = 0; r < keys.length; r++) {
          const key = keys[r];
          slots[r] = key == null ? null : (known.get(key) ?? null);
        }
      }
    }
  }

  const width = plan.columns.length;
  const matrix = new Float32Array(rows * width);
  const counts = plan.columns.map(() => new Uint32Array(4));
  for (let c = 0; c < width; c++) {
    const column = plan.columns[c] as GraphPlan["columns"][number];
    const count = counts[c] as Uint32Array;
    if (column.kind === "feature") {
      fillFeatureColumn(matrix, width, c, rows, column, nodeRows[column.node] ?? [], count);
    } else {
      fillDotColumn(matrix, width, c, rows, column, nodeRows, count);
    }
  }
  return {
    matrix,
    rows,
    columns: plan.columnNames,
    status: counts.map((count) => {
      const out = {} as ColumnStatusCounts;
      STATUS_NAMES.forEach((name, i) => {
        out[name] = count[i] as number;
      });
      return out;
    }),
    reads,
  };
}

/** A status's place in `STATUS_NAMES`, without a keyed lookup per cell. */
function statusIndex(status: FeatureStatus | undefined): number {
  return status === "present" ? 0 : status === "default" ? 1 : status === "expired" ? 2 : 3;
}

/** The entity row a node gives matrix row `r` (request-level nodes have one slot for every row). */
function rowAt(slots: readonly (ServedRow | null)[], r: number): ServedRow | null {
  return (slots.length === 1 ? slots[0] : slots[r]) ?? null;
}

/** One feature column, top to bottom: the cell's value, or the declared default unless present. */
function fillFeatureColumn(
  matrix: Float32Array,
  width: number,
  c: number,
  rows: number,
  column: Extract<GraphPlan["columns"][number], { kind: "feature" }>,
  slots: readonly (ServedRow | null)[],
  count: Uint32Array,
): void {
  const declared = !Number.isNaN(column.default);
  const index = column.featureIndex;
  for (let r = 0; r < rows; r++) {
    const row = rowAt(slots, r);
    const status = row === null ? 3 : statusIndex(row.status[index]);
    let value = column.default;
    if (status === 0 || !declared) {
      const served = row === null ? null : row.values[index];
      if (typeof served === "number") value = served;
      else if (typeof served === "boolean") value = served ? 1 : 0;
    }
    matrix[r * width + c] = value;
    (count[status] as number)++;
  }
}

/** A dot-product column: the worse status of its two vectors decides, as for a plain column. */
function fillDotColumn(
  matrix: Float32Array,
  width: number,
  c: number,
  rows: number,
  column: Extract<GraphPlan["columns"][number], { kind: "dot" }>,
  nodeRows: readonly (ServedRow | null)[][],
  count: Uint32Array,
): void {
  const declared = !Number.isNaN(column.default);
  const slotsA = nodeRows[column.a.node] ?? [];
  const slotsB = nodeRows[column.b.node] ?? [];
  for (let r = 0; r < rows; r++) {
    const rowA = rowAt(slotsA, r);
    const rowB = rowAt(slotsB, r);
    const sa = rowA === null ? 3 : statusIndex(rowA.status[column.a.featureIndex]);
    const sb = rowB === null ? 3 : statusIndex(rowB.status[column.b.featureIndex]);
    const status = Math.max(sa, sb);
    let value = column.default;
    if (status === 0 || !declared) {
      const a = rowA === null ? null : rowA.values[column.a.featureIndex];
      const b = rowB === null ? null : rowB.values[column.b.featureIndex];
      if (a instanceof Float32Array && b instanceof Float32Array) value = dot(a, b);
    }
    matrix[r * width + c] = value;
    (count[status] as number)++;
  }
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
