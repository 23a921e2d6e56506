import type { FeatureStatus } from "#shared/features/serving";
import { ApiError } from "#shared/http/api-error";
import { WRITTEN_AT_BIN } from "../layout.js";
import type {
  CompiledEntity,
  CompiledFeature,
  RegistrySnapshot,
} from "../registry/registry-snapshot.js";
import type { ServedValue } from "../values.js";
import {
  type BinReader,
  compileBinReader,
  compileStampReader,
  type StampReader,
} from "./bin-reader.js";
import { compileRowServer, type RowServer } from "./column-row.js";
import {
  type AbsentColumns,
  absentColumns,
  type ColumnsTarget,
  serveCell,
} from "./serve-columns.js";

/** What to read for one (entity, feature list): resolved once, reused while the registry is unchanged. */
export interface ReadPlan {
  readonly entity: CompiledEntity;
  /** The feature names asked for (a copy), in order. */
  readonly names: readonly string[];
  readonly features: readonly CompiledFeature[];
  /** Exactly the bins these features need, plus `_t`. */
  readonly bins: readonly string[];
  /**
   * Row templates, copied with `slice()` per served row: one `null` per
   * feature, and the values and statuses of a row whose record is missing.
   * Copies of an array already holding mixed values never change their
   * element kind (V8 re-allocates an array the first time a number array
   * gets a string or `null`), and a missing record costs no loop at all.
   */
  readonly nulls: readonly null[];
  /** Reads each feature's value bin (`valueBin`; counters are skipped) into an array by feature index. */
  readonly readValues: BinReader;
  /** The same over the `_t` map: each value's write time (`NaN` where none). */
  readonly readStamps: StampReader;
  /** The columnar read of one present record: numbers land unboxed in a `Float64Array`. */
  readonly serveRow: RowServer<ColumnsTarget>;
  /** Some feature has a TTL: only then are a record's write times looked up. */
  readonly needsStamps: boolean;
  /** The columnar read of an absent record, as a row to copy. */
  readonly absentColumns: AbsentColumns;
  /** Per feature: its type is a number or a flag, so the columnar read keeps no other values for it. */
  readonly numeric: readonly boolean[];
  readonly absentValues: readonly (ServedValue | null)[];
  readonly absentStatus: readonly FeatureStatus[];
}

/** Feature types whose served value is always a number or a boolean (or absent). */
const NUMERIC_TYPES: ReadonlySet<string> = new Set(["int", "float", "bool"]);

/** Plans kept per registry version; callers tend to ask for the same few feature lists. */
const MAX_PLANS_PER_VERSION = 256;

/** One registry version's plans: by entity and names, and by the caller's names array. */
interface PlanCache {
  byId: Map<string, ReadPlan>;
  /**
   * The graph executor asks with the same (never changed) array every time:
   * found by identity, then checked name by name, so no key string is built.
   */
  byNames: WeakMap<readonly string[], ReadPlan>;
}
const plans = new WeakMap<RegistrySnapshot, PlanCache>();

function buildPlan(snapshot: RegistrySnapshot, entity: string, names: readonly string[]): ReadPlan {
  const compiled = snapshot.entities.get(entity);
  if (!compiled) throw new ApiError("invalid_parameter", `unknown entity "${entity}"`);
  const features: CompiledFeature[] = [];
  const bins = new Set<string>([WRITTEN_AT_BIN]);
  for (const name of names) {
    const feature = compiled.features.get(name);
    if (!feature) {
      throw new ApiError("invalid_parameter", `unknown feature "${name}" of entity "${entity}"`);
    }
    features.push(feature);
    for (const bin of feature.readBins) bins.add(bin);
  }
  const numeric = features.map((f) => NUMERIC_TYPES.has(f.def.type));
  return {
    entity: compiled,
    names: [...names],
    features,
    bins: [...bins],
    nulls: Array.from(features, () => null),
    // A reader each, none shared: each caches the shapes of the objects it reads.
    readValues: compileBinReader(features.map((f) => f.valueBin)),
    readStamps: compileStampReader(features.map((f) => f.valueBin)),
    serveRow: compileRowServer(features, numeric, serveCell),
    needsStamps: features.some((f) => f.ttlMs !== null),
    absentColumns: absentColumns(features, numeric),
    numeric,
    absentValues: Array.from(features, (f) => f.defaultValue),
    absentStatus: Array.from(
      features,
      (f): FeatureStatus => (f.defaultValue === null ? "missing" : "default"),
    ),
  };
}

/**
 * The read plan for a group; throws a 400 naming an unknown entity or
 * feature. `remember`: the caller asks with this same `names` array again
 * (the graph executor passes its plan's lists), so it is found by identity.
 */
export function readPlan(
  snapshot: RegistrySnapshot,
  entity: string,
  names: readonly string[],
  remember = false,
): ReadPlan {
  let cache = plans.get(snapshot);
  if (!cache) {
    cache = { byId: new Map(), byNames: new WeakMap() };
    plans.set(snapshot, cache);
  }
  const known = remember ? cache.byNames.get(names) : undefined;
  if (known && known.entity.def.name === entity && sameNames(known.names, names)) return known;
  const id = `${entity}\u0000${names.join(",")}`;
  let plan = cache.byId.get(id);
  if (!plan) {
    plan = buildPlan(snapshot, entity, names);
    if (cache.byId.size >= MAX_PLANS_PER_VERSION) cache.byId.clear();
    cache.byId.set(id, plan);
  }
  // Only for callers that ask with the same arrays again: a fresh array per request (a parsed
  // HTTP body) would only churn the weak map.
  if (remember) cache.byNames.set(names, plan);
  return plan;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
