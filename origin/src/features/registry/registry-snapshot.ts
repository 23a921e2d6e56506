import type { FeatureListResponse } from "#shared/features/admin";
import type { EntityDefinition, FeatureDefinition } from "#shared/features/definitions";
import type { RegistryDocument } from "#shared/features/registry-document";
import { TTL_KEEP } from "../../store/port.js";
import { featureBins } from "../storage-read.js";
import { SYSTEM_ENTITIES, SYSTEM_FEATURES } from "../system-features.js";
import { encodeVector, fromBinValue, type ServedValue } from "../values.js";

/** A feature as the serving and write paths need it, computed once per registry version. */
export interface CompiledFeature {
  readonly def: FeatureDefinition;
  /** Every bin read to serve it (with `_t`): its own for `value`, one per region for counters, both inputs' for a ratio. */
  readonly readBins: readonly string[];
  /** The default as served (vectors as Float32Array); `null` = none. */
  readonly defaultValue: ServedValue | null;
  /** `ttlSeconds` in ms; `null` = never expires. */
  readonly ttlMs: number | null;
  /** Only `value` features are written by batch writes; counters belong to the stream processor. */
  readonly writable: boolean;
  /** The bin of a `value` feature (served without the generic decoder); `null` for counters. */
  readonly valueBin: string | null;
  readonly isVector: boolean;
}

export interface CompiledEntity {
  readonly def: EntityDefinition;
  readonly system: boolean;
  readonly features: ReadonlyMap<string, CompiledFeature>;
  /** Another feature of this entity by name (the inputs of a smoothed ratio). */
  readonly sibling: (name: string) => FeatureDefinition | undefined;
  /**
   * Record TTL for batch writes: when every feature of the entity has a TTL,
   * the longest one (after it every value in the record is expired anyway);
   * otherwise `TTL_KEEP`: a new record never expires and an existing one keeps
   * the lifetime its owner gave it (the stream processor expires sessions).
   */
  readonly recordTtlSeconds: number;
}

/** An immutable view of one registry version with its lookup maps built once. */
export interface RegistrySnapshot {
  readonly version: number;
  readonly document: RegistryDocument;
  readonly regions: readonly string[];
  readonly entities: ReadonlyMap<string, CompiledEntity>;
  /** The admin listing, built once per version. */
  readonly listing: FeatureListResponse;
}

function defaultOf(def: FeatureDefinition): ServedValue | null {
  if (def.default === null) return null;
  if (def.type === "vector" && Array.isArray(def.default))
    return fromBinValue(encodeVector(def.default as number[]), "vector");
  return def.default as ServedValue;
}

/** Merges the built-in entities and features with the stored document and compiles lookups. */
export function buildSnapshot(document: RegistryDocument): RegistrySnapshot {
  const regions = document.regions;
  const entityDefs = [
    ...SYSTEM_ENTITIES.map((def) => ({ def, system: true })),
    ...document.entities.map((def) => ({ def, system: false })),
  ];
  const allFeatures = [...SYSTEM_FEATURES, ...document.features];
  const entities = new Map<string, CompiledEntity>();
  for (const { def, system } of entityDefs) {
    const defs = allFeatures.filter((f) => f.entity === def.name);
    const byName = new Map(defs.map((f) => [f.name, f]));
    const sibling = (name: string) => byName.get(name);
    const features = new Map<string, CompiledFeature>();
    for (const f of defs) {
      features.set(f.name, {
        def: f,
        readBins: featureBins(f, { regions, sibling }),
        defaultValue: defaultOf(f),
        ttlMs: f.ttlSeconds === undefined ? null : f.ttlSeconds * 1000,
        writable: f.storage.kind === "value",
        valueBin: f.storage.kind === "value" ? f.bin : null,
        isVector: f.type === "vector",
      });
    }
    const ttls = defs.map((f) => f.ttlSeconds);
    const allExpire = ttls.length > 0 && ttls.every((t) => t !== undefined);
    entities.set(def.name, {
      def,
      system,
      features,
      sibling,
      recordTtlSeconds: allExpire ? Math.max(...(ttls as number[])) : TTL_KEEP,
    });
  }
  return {
    version: document.version,
    document,
    regions,
    entities,
    listing: {
      version: document.version,
      entities: entityDefs.map(({ def, system }) => ({ ...def, system })),
      features: allFeatures,
      regions: [...regions],
    },
  };
}
