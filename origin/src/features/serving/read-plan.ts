import { ApiError } from "#shared/http/api-error";
import { WRITTEN_AT_BIN } from "../layout.js";
import type {
  CompiledEntity,
  CompiledFeature,
  RegistrySnapshot,
} from "../registry/registry-snapshot.js";

/** What to read for one (entity, feature list): resolved once, reused while the registry is unchanged. */
export interface ReadPlan {
  readonly entity: CompiledEntity;
  readonly features: readonly CompiledFeature[];
  /** Exactly the bins these features need, plus `_t`. */
  readonly bins: readonly string[];
}

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
  return { entity: compiled, features, bins: [...bins] };
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
