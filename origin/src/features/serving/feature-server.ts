import type {
  FeatureGroupRequest,
  FeatureLogContext,
  FeatureStatus,
} from "#shared/features/serving";
import { MAX_FEATURES_PER_GROUP, MAX_GROUPS, MAX_KEYS_PER_GROUP } from "#shared/features/serving";
import { ApiError } from "#shared/http/api-error";
import type { BinValue, RecordKey, StorePort, StoreRecord } from "../../store/port.js";
import { featureSet } from "../layout.js";
import type { FeatureLog } from "../logging/feature-log.js";
import type { RegistrySnapshot } from "../registry/registry-snapshot.js";
import { decodeFeature } from "../storage-read.js";
import { type ServedValue, VectorArena } from "../values.js";
import { keyProblem } from "../write/validate-row.js";
import { type ReadPlan, readPlan } from "./read-plan.js";
import { type ServedColumns, serveColumns, stampsOf } from "./serve-columns.js";

/** One entity instance, values/status/age aligned with the group's features. Treat as read-only. */
export interface ServedRow {
  key: string;
  values: (ServedValue | null)[];
  status: FeatureStatus[];
  ageMs: (number | null)[];
}

export interface ServedGroup {
  entity: string;
  features: readonly string[];
  rows: ServedRow[];
}

export interface FeatureServerDeps {
  store: StorePort;
  namespace: string;
  registry: { snapshot(): RegistrySnapshot };
  log?: FeatureLog;
  now?: () => number;
}

/** A stored `value` bin as served, or null if absent or of a shape the type cannot have. */
function plainValue(
  stored: BinValue | undefined,
  vector: boolean,
  arena: VectorArena,
): ServedValue | null {
  if (stored === undefined) return null;
  if (stored instanceof Uint8Array) {
    return vector && stored.byteLength % 4 === 0 ? arena.decode(stored) : null;
  }
  return vector ? null : (stored as ServedValue);
}

/**
 * Online feature serving: for each group (one entity type) exactly one
 * batched store read of only the bins needed, groups read concurrently, each
 * value with its status and age. TTLs are enforced here: a value older than
 * its feature's TTL is served as `expired` with the default, never as
 * `present`. The model proxy calls `get` directly; the route is a thin shell.
 *
 * @example
 * const [group] = await server.get([{ entity: "item", keys: ["i00001"], features: ["price"] }]);
 */
export class FeatureServer {
  private readonly now: () => number;

  constructor(private readonly deps: FeatureServerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Validates the groups (400 `ApiError` naming what is wrong) and serves them. */
  async get(
    groups: readonly FeatureGroupRequest[],
    log?: FeatureLogContext,
  ): Promise<ServedGroup[]> {
    if (groups.length > MAX_GROUPS) {
      throw new ApiError("invalid_parameter", `at most ${MAX_GROUPS} groups per request`);
    }
    const snapshot = this.deps.registry.snapshot();
    const plans = groups.map((group, index) => this.plan(snapshot, group, index));
    const now = this.now();
    const served = await Promise.all(
      groups.map((group, index) => this.serveGroup(snapshot, plans[index] as ReadPlan, group, now)),
    );
    if (log && this.deps.log) this.deps.log.logServed(log, served, now);
    return served;
  }

  /**
   * The same reads as `get`, served column-wise for the graph executor:
   * statuses and values (TTL enforced, defaults, vectors as `Float32Array`)
   * without ages and without objects per row; see {@link ServedColumns}.
   * Validates like `get`.
   */
  async getColumns(groups: readonly FeatureGroupRequest[]): Promise<ServedColumns[]> {
    if (groups.length > MAX_GROUPS) {
      throw new ApiError("invalid_parameter", `at most ${MAX_GROUPS} groups per request`);
    }
    const snapshot = this.deps.registry.snapshot();
    // The graph executor asks with its plans' own feature lists: remembered by identity.
    const plans = groups.map((group, index) => this.plan(snapshot, group, index, true));
    const now = this.now();
    return Promise.all(
      groups.map(async (group, index) => {
        const plan = plans[index] as ReadPlan;
        const records = await this.read(plan, group);
        const context = { regions: snapshot.regions, now, sibling: plan.entity.sibling };
        return serveColumns(plan, group.entity, group.features, group.keys, records, context);
      }),
    );
  }

  /** One batched read of a group's records, only the bins its features need. */
  private read(plan: ReadPlan, group: FeatureGroupRequest): Promise<(StoreRecord | null)[]> {
    if (group.keys.length === 0) return Promise.resolve([]);
    const ns = this.deps.namespace;
    // The record keys `featureRecordKey` would build, with the set name built once, not per key.
    const set = featureSet(group.entity);
    const keys = group.keys;
    const recordKeys = new Array<RecordKey>(keys.length);
    for (let i = 0; i < keys.length; i++) recordKeys[i] = { ns, set, key: keys[i] as string };
    return this.deps.store.batchGet(recordKeys, plan.bins);
  }

  private plan(
    snapshot: RegistrySnapshot,
    group: FeatureGroupRequest,
    index: number,
    remember = false,
  ): ReadPlan {
    const where = `requests.${index}`;
    if (group.keys.length > MAX_KEYS_PER_GROUP) {
      throw new ApiError("invalid_parameter", `${where}.keys: at most ${MAX_KEYS_PER_GROUP} keys`);
    }
    if (group.features.length > MAX_FEATURES_PER_GROUP) {
      throw new ApiError(
        "invalid_parameter",
        `${where}.features: at most ${MAX_FEATURES_PER_GROUP} features`,
      );
    }
    let plan: ReadPlan;
    try {
      plan = readPlan(snapshot, group.entity, group.features, remember);
    } catch (error) {
      if (error instanceof ApiError) throw new ApiError(error.code, `${where}: ${error.message}`);
      throw error;
    }
    for (const key of group.keys) {
      const problem = keyProblem(plan.entity, key);
      if (problem) throw new ApiError("invalid_parameter", `${where}.keys: ${problem}`);
    }
    return plan;
  }

  private async serveGroup(
    snapshot: RegistrySnapshot,
    plan: ReadPlan,
    group: FeatureGroupRequest,
    now: number,
  ): Promise<ServedGroup> {
    const entity = group.entity;
    const records = await this.read(plan, group);
    const context = { regions: snapshot.regions, now, sibling: plan.entity.sibling };
    const features = plan.features;
    const n = features.length;
    const rows: ServedRow[] = new Array(group.keys.length);
    // Per group, reused by every row: the row's value bins and write times by feature index.
    const stored = new Array<BinValue | undefined>(n).fill(undefined);
    const written = new Float64Array(n);
    const arena = new VectorArena();
    for (let r = 0; r < group.keys.length; r++) {
      const key = group.keys[r] as string;
      const record = records[r];
      if (!record) {
        rows[r] = {
          key,
          values: plan.absentValues.slice(),
          status: plan.absentStatus.slice(),
          ageMs: plan.nulls.slice(),
        };
        continue;
      }
      const bins = record.bins;
      const stamps = stampsOf(bins);
      plan.readValues(bins, stored);
      if (stamps) plan.readStamps(stamps, written);
      const values: (ServedValue | null)[] = plan.nulls.slice();
      const status = plan.absentStatus.slice();
      const ageMs: (number | null)[] = plan.nulls.slice();
      for (let f = 0; f < n; f++) {
        const feature = features[f] as (typeof features)[number];
        let value: ServedValue | null;
        let writtenAt: number | null = null;
        if (feature.valueBin !== null) {
          // Fast path for plain values (most features): no decoder call, no object per value.
          value = plainValue(stored[f], feature.isVector, arena);
          const stamp = stamps ? (written[f] as number) : Number.NaN;
          if (!Number.isNaN(stamp)) writtenAt = stamp;
        } else {
          const decoded = decodeFeature(feature.def, bins, context);
          value = decoded.value;
          writtenAt = decoded.writtenAt;
        }
        // `status` starts as the absent row's ("default" or "missing"), `ageMs` as null.
        if (value === null) {
          values[f] = feature.defaultValue;
          continue;
        }
        const age = writtenAt === null ? null : Math.max(0, now - writtenAt);
        ageMs[f] = age;
        // No write time means freshness cannot be shown: with a TTL that is expired, not present.
        if (feature.ttlMs !== null && (age === null || age > feature.ttlMs)) {
          values[f] = feature.defaultValue;
          status[f] = "expired";
        } else {
          values[f] = value;
          status[f] = "present";
        }
      }
      rows[r] = { key, values, status, ageMs };
    }
    return { entity, features: group.features, rows };
  }
}
