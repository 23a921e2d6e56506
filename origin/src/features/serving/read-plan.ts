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
  compileNumberBinReader,
  compileStampReader,
  type NumberBinReader,
  type StampReader,
} from "./bin-reader.js";

/** What to read for one (entity, feature list): resolved once, reused while the registry is unchanged. */
export interface ReadPlan {
  readonly entity: CompiledEntity;
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
  /** `readValues` for the columnar read: numbers land unboxed in a `Float64Array`. */
  readonly readNumbers: NumberBinReader;
  /** Write times of the features with a TTL only: the columnar read has no ages, only statuses. */
  readonly readTtlStamps: StampReader;
  /** Per feature: its type is a number or a flag, so the columnar read keeps no other values for it. */
  readonly numeric: readonly boolean[];
  readonly absentValues: readonly (ServedValue | null)[];
  readonly absentStatus: readonly FeatureStatus[];
}

/** Feature types whose served value is always a number or a boolean (or absent). */
const NUMERIC_TYPES: ReadonlySet<string> = new Set(["int", "float", "bool"]);

/** Plans kept per registry version; callers tend to ask for the same few feature lists. */
const MAX_PLANS_PER_VERSION = 256;
const plans = new WeakMap<RegistrySnapshot, Map<string, ReadPlan>>();

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
  return {
    entity: compiled,
    features,
    bins: [...bins],
    nulls: Array.from(features, () => null),
    // Two readers, not one shared: each caches the shape of the objects it reads.
    readValues: compileBinReader(features.map((f) => f.valueBin)),
    readStamps: compileStampReader(features.map((f) => f.valueBin)),
    readNumbers: compileNumberBinReader(features.map((f) => f.valueBin)),
    readTtlStamps: compileStampReader(features.map((f) => (f.ttlMs === null ? null : f.valueBin))),
    numeric: features.map((f) => NUMERIC_TYPES.has(f.def.type)),
    absentValues: Array.from(features, (f) => f.defaultValue),
    absentStatus: Array.from(
      features,
      (f): FeatureStatus => (f.defaultValue === null ? "missing" : "default"),
    ),
  };
}

/** The read plan for a group; throws a 400 naming an unknown entity or feature. */
export function readPlan(
  snapshot: RegistrySnapshot,
  entity: string,
  names: readonly string[],
): ReadPlan {
  let cache = plans.get(snapshot);
  if (!cache) {
    cache = new Map();
    plans.set(snapshot, cache);
  }
  const id = `${entity}\u0000${names.join(",")}`;
  let plan = cache.get(id);
  if (!plan) {
    plan = buildPlan(snapshot, entity, names);
    if (cache.size >= MAX_PLANS_PER_VERSION) cache.clear();
    cache.set(id, plan);
  }
  return plan;
}
