import { EventType } from "#shared/api/events";
import type { FeatureDefinition, Storage } from "#shared/features/definitions";
import { regionalBin } from "../features/layout.js";
import { SYSTEM_FEATURES } from "../features/system-features.js";
import { COUNTER_OF_TYPE } from "./event-weights.js";

/**
 * The system features the stream processor writes, resolved once, with the
 * caps of their lists (the numbers in their descriptions).
 */
function feature(entity: string, name: string): FeatureDefinition {
  const found = SYSTEM_FEATURES.find((f) => f.entity === entity && f.name === name);
  if (!found) throw new Error(`no system feature ${entity}.${name}`);
  return found;
}

function storageOf<K extends Storage["kind"]>(
  def: FeatureDefinition,
  kind: K,
): Extract<Storage, { kind: K }> {
  if (def.storage.kind !== kind) throw new Error(`${def.entity}.${def.name} is not ${kind}`);
  return def.storage as Extract<Storage, { kind: K }>;
}

export interface WindowCounter {
  bin: string;
  storage: Extract<Storage, { kind: "window_count" }>;
}

export interface DecayedTop {
  bin: string;
  storage: Extract<Storage, { kind: "decayed_top" }>;
}

function windowCounter(name: string): WindowCounter {
  const def = feature("item_region", name);
  return { bin: def.bin, storage: storageOf(def, "window_count") };
}

function decayedTop(entity: string, name: string): DecayedTop {
  const def = feature(entity, name);
  return { bin: def.bin, storage: storageOf(def, "decayed_top") };
}

export const USER_FEATURES = {
  recentItems: { bin: feature("user", "recent_items").bin, cap: 50 },
  recentCategories: { bin: feature("user", "recent_categories").bin, cap: 20 },
  purchasedItems: { bin: feature("user", "purchased_items").bin, cap: 200 },
};

const affinity = feature("user_category", "affinity");
export const AFFINITY = { bin: affinity.bin, storage: storageOf(affinity, "decayed_sum") };

export const SESSION_FEATURES = {
  lastActions: { bin: feature("session", "last_actions").bin, cap: 20 },
  recentItems: { bin: feature("session", "recent_items").bin, cap: 20 },
  intentCategory: { bin: feature("session", "intent_category").bin },
  /**
   * Not a served feature: the session's forward-decayed interest per
   * category (decayed_top layout, one bin: a session lives in one region),
   * from which the intent category is the argmax.
   */
  intentScores: { bin: "is" },
};

const countersByPrefix = new Map<string, WindowCounter[]>();

/** Counter features per counter name prefix (`views` -> views_1h, views_24h), resolved once. */
export function itemRegionCounters(prefix: string): WindowCounter[] {
  let counters = countersByPrefix.get(prefix);
  if (!counters) {
    counters = [windowCounter(`${prefix}_1h`), windowCounter(`${prefix}_24h`)];
    countersByPrefix.set(prefix, counters);
  }
  return counters;
}

export const CO_VISITED = decayedTop("item_region", "co_visited");
export const TRENDING = decayedTop("region", "trending");

/** One window counter as the processor of one region writes it. */
export interface RegionalCounter {
  /** The feature's bin (its `_t` stamp). */
  bin: string;
  /** `<bin>.<region>`: the map this region adds to. */
  regional: string;
  bucketSeconds: number;
  /** Buckets in the window (the oldest kept is `current - buckets + 1`). */
  buckets: number;
}

/** The bins one region's processor writes, with the region resolved once (no string per event). */
export interface RegionalBins {
  affinity: string;
  trending: string;
  coVisited: string;
  /** Counters an event type feeds (1 h and 24 h), empty for types without one. */
  counters: Readonly<Record<EventType, readonly RegionalCounter[]>>;
}

export function regionalBins(region: string): RegionalBins {
  const counters = {} as Record<EventType, RegionalCounter[]>;
  for (const type of EventType.options) {
    const prefix = COUNTER_OF_TYPE[type];
    counters[type] = prefix
      ? itemRegionCounters(prefix).map(({ bin, storage }) => ({
          bin,
          regional: regionalBin(bin, region),
          bucketSeconds: storage.bucketSeconds,
          buckets: Math.ceil(storage.windowSeconds / storage.bucketSeconds),
        }))
      : [];
  }
  return {
    affinity: regionalBin(AFFINITY.bin, region),
    trending: regionalBin(TRENDING.bin, region),
    coVisited: regionalBin(CO_VISITED.bin, region),
    counters,
  };
}
