import type { FeatureGroupRequest, FeatureStatus } from "#shared/features/serving";
import { KEY_PART_SEPARATOR } from "../features/layout.js";
import type { ServedColumns } from "../features/serving/serve-columns.js";
import type { ServedValue } from "../features/values.js";
import type { FeatureRef, GraphPlan } from "./compile-graph.js";
import {
  countStatuses,
  type EntityBatches,
  fillMatrix,
  ROW_BITS,
  ROW_MASK,
} from "./fill-matrix.js";

/**
 * What the executor needs of the feature server (`FeatureServer` in
 * production): each group served with its rows in the order of its keys.
 */
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
  /** Per column (counted when first read: only debug answers show them). */
  readonly status: ColumnStatusCounts[];
  /** Batched reads issued (one `FeatureServer.getColumns` per level that had keys to read). */
  reads: number;
}

/** Derived key values longer than this are not ids; treated as absent rather than read. */
const MAX_DERIVED_KEY_PART = 256;

const STATUS_NAMES: readonly FeatureStatus[] = ["present", "default", "expired", "missing"];

/** One entity's reads so far: its served batches and where each key's row is. */
interface EntityRows {
  batches: ServedColumns[];
  /** Filled only from batches that a later level's group of this entity may find keys in. */
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
  // Per node, per row slot (one slot for request-level nodes): where its entity row is, or -1
  // (while its level's read is in flight, `-2 - i`: the i-th key its group's request asks for).
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

  for (let l = 0; l < plan.levels.length; l++) {
    const level = plan.levels[l] as GraphPlan["levels"][number];
    const requests: FeatureGroupRequest[] = [];
    const requested: number[] = [];
    for (const group of level) {
      const fetch = plan.entities[group.entity] as GraphPlan["entities"][number];
      const known = (read[group.entity] as EntityRows).at;
      // Keys not read yet, in request order; a row waiting for one holds `-2 - its index`.
      const pending: string[] = [];
      const pendingAt = new Map<string, number>();
      for (const n of group.nodes) {
        const node = plan.nodes[n] as GraphPlan["nodes"][number];
        const slots = nodeRows[n] as Int32Array;
        for (let r = 0; r < slots.length; r++) {
          const key = keyOf(node.key, r, candidates, context, valueAt);
          if (key === null) continue;
          const at = known.get(key);
          if (at !== undefined) {
            slots[r] = at;
            continue;
          }
          let p = pendingAt.get(key);
          if (p === undefined) {
            p = pending.length;
            pending.push(key);
            pendingAt.set(key, p);
          }
          slots[r] = -2 - p;
        }
      }
      if (pending.length > 0) {
        // The plan's own list: never changed, so the server finds its read plan by identity.
        requests.push({
          entity: fetch.entity,
          keys: pending,
          features: fetch.features as string[],
        });
        requested.push(group.entity);
      }
    }
    if (requests.length === 0) continue;
    reads++;
    const served = await source.getColumns(requests);
    const later = plan.levels.slice(l + 1);
    served.forEach((batch, g) => {
      const e = requested[g] as number;
      const entity = read[e] as EntityRows;
      const base = entity.batches.length << ROW_BITS;
      entity.batches.push(batch);
      // Rows waiting for this batch: the served rows are in request key order.
      for (const group of level) {
        if (group.entity !== e) continue;
        for (const n of group.nodes) {
          const slots = nodeRows[n] as Int32Array;
          for (let r = 0; r < slots.length; r++) {
            const at = slots[r] as number;
            if (at <= -2) slots[r] = base | (-2 - at);
          }
        }
      }
      // Only a later level reading the same entity looks keys up again.
      if (later.some((groups) => groups.some((group) => group.entity === e))) {
        batch.keys.forEach((key, row) => {
          entity.at.set(key, base | row);
        });
      }
    });
  }

  const batches = read.map((entity) => entity.batches);
  return new ExecutedGraph(
    plan,
    batches,
    nodeRows,
    rows,
    fillMatrix(plan, batches, nodeRows, rows),
    reads,
  );
}

/**
 * A graph's result. The status counts are counted when first read (only
 * debug answers show them), from the batches kept for that: a class with
 * a prototype getter, not a literal with its own getter closing over the
 * executor's scope (that literal made V8 keep requests' garbage long
 * enough to reach the old generation: 2x the mark-compacts, p99 3.6 -> 7.5
 * ms in a rank loop).
 */
class ExecutedGraph implements GraphResult {
  readonly columns: readonly string[];
  private counted: ColumnStatusCounts[] | null = null;

  constructor(
    private readonly plan: GraphPlan,
    private readonly batches: EntityBatches,
    private readonly nodeRows: readonly Int32Array[],
    readonly rows: number,
    readonly matrix: Float32Array,
    readonly reads: number,
  ) {
    this.columns = plan.columnNames;
  }

  get status(): ColumnStatusCounts[] {
    this.counted ??= statusCounts(
      this.plan,
      countStatuses(this.plan, this.batches, this.nodeRows, this.rows),
    );
    return this.counted;
  }
}

function statusCounts(plan: GraphPlan, counts: Uint32Array): ColumnStatusCounts[] {
  return plan.columns.map((_, c) => {
    const out = {} as ColumnStatusCounts;
    STATUS_NAMES.forEach((name, i) => {
      out[name] = counts[c * 4 + i] as number;
    });
    return out;
  });
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
