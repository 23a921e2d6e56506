import type { EntityDefinition, FeatureDefinition, Storage } from "#shared/features/definitions";

/**
 * Built-in entities and the real-time features the stream processor keeps
 * (docs/features.md). They are part of every registry, cannot be edited
 * through the admin API, and have fixed bins so the processor's writes never
 * depend on registry state.
 */
export const SYSTEM_ENTITIES: readonly EntityDefinition[] = [
  { name: "user", keyParts: ["user"], description: "A signed-in shopper" },
  { name: "session", keyParts: ["session"], description: "A browsing session (anonymous or not)" },
  { name: "item", keyParts: ["item"], description: "A catalog item" },
  { name: "category", keyParts: ["category"], description: "A catalog category" },
  { name: "brand", keyParts: ["brand"], description: "A brand" },
  { name: "region", keyParts: ["region"], description: "A serving region" },
  {
    name: "user_category",
    keyParts: ["user", "category"],
    description: "A shopper's tie to a category",
  },
  {
    name: "item_region",
    keyParts: ["item", "region"],
    description: "An item as seen in one region",
  },
];

const HOUR = 3600;
const DAY = 24 * HOUR;
/** 5-minute buckets: a 1 h window is exact to 5 minutes with 12 map entries per region. */
const WINDOW_1H: Storage = { kind: "window_count", windowSeconds: HOUR, bucketSeconds: 300 };
/** Hourly buckets: 24 entries per region. */
const WINDOW_24H: Storage = { kind: "window_count", windowSeconds: DAY, bucketSeconds: HOUR };

type SystemFeature = Omit<FeatureDefinition, "version" | "updatedAt" | "system" | "source"> & {
  source?: "stream";
};

function counters(name: string, bin: string, label: string): SystemFeature[] {
  return [
    {
      entity: "item_region",
      name: `${name}_1h`,
      bin: `${bin}1`,
      type: "int",
      default: 0,
      storage: WINDOW_1H,
      description: `${label} in this region over the last hour`,
    },
    {
      entity: "item_region",
      name: `${name}_24h`,
      bin: `${bin}24`,
      type: "int",
      default: 0,
      storage: WINDOW_24H,
      description: `${label} in this region over the last 24 hours`,
    },
  ];
}

const FEATURES: SystemFeature[] = [
  {
    entity: "user",
    name: "recent_items",
    bin: "ri",
    type: "string_list",
    default: [],
    storage: { kind: "value" },
    description: "Items the user interacted with, newest first, deduplicated, at most 50",
  },
  {
    entity: "user",
    name: "recent_categories",
    bin: "rc",
    type: "string_list",
    default: [],
    storage: { kind: "value" },
    description: "Categories of those items, newest first, deduplicated, at most 20",
  },
  {
    entity: "user",
    name: "purchased_items",
    bin: "pu",
    type: "string_list",
    default: [],
    storage: { kind: "value" },
    description: "Items the user bought, newest first, at most 200",
  },
  {
    entity: "user_category",
    name: "affinity",
    bin: "af",
    type: "float",
    default: 0,
    storage: { kind: "decayed_sum", halfLifeSeconds: 7 * DAY },
    description: "Weighted interactions with the category, halving every 7 days",
  },
  {
    entity: "session",
    name: "last_actions",
    bin: "la",
    type: "string_list",
    default: [],
    storage: { kind: "value" },
    description: 'The session\'s last 20 actions as "type:item", newest first',
  },
  {
    entity: "session",
    name: "recent_items",
    bin: "ri",
    type: "string_list",
    default: [],
    storage: { kind: "value" },
    description: "Items seen in the session, newest first, deduplicated, at most 20",
  },
  {
    entity: "session",
    name: "intent_category",
    bin: "ic",
    type: "string",
    default: "",
    storage: { kind: "value" },
    description: "The category the session's weighted actions point to most",
  },
  ...counters("impressions", "i", "Impressions"),
  ...counters("views", "v", "Views"),
  ...counters("clicks", "c", "Clicks"),
  ...counters("carts", "a", "Add-to-carts"),
  ...counters("purchases", "p", "Purchases"),
  {
    entity: "item_region",
    name: "ctr_24h",
    bin: "r24",
    type: "float",
    // An item never shown gets the prior's mean, the same number the ratio gives at 0/0.
    default: 1 / 21,
    storage: {
      kind: "smoothed_ratio",
      numerator: "clicks_24h",
      denominator: "impressions_24h",
      // A Beta(1, 20) prior: an unseen item starts near a typical 5% CTR, not 0 or 1.
      priorSuccesses: 1,
      priorFailures: 20,
    },
    description: "Click-through rate over 24 hours, smoothed toward 1/21",
  },
  {
    entity: "item_region",
    name: "co_visited",
    bin: "cv",
    type: "string_list",
    default: [],
    storage: { kind: "decayed_top", halfLifeSeconds: 7 * DAY, n: 20 },
    description: "Items seen in the same sessions in this region, top 20, halving every 7 days",
  },
  {
    entity: "region",
    name: "trending",
    bin: "tr",
    type: "string_list",
    default: [],
    storage: { kind: "decayed_top", halfLifeSeconds: HOUR, n: 50 },
    description: "Most interacted-with items in the region, top 50, halving every hour",
  },
];

export const SYSTEM_FEATURES: readonly FeatureDefinition[] = FEATURES.map((feature) => ({
  ...feature,
  source: "stream",
  system: true,
  version: 1,
  updatedAt: 0,
}));

/** The bin of a system feature, for the stream processor (throws on a typo: a bug, not input). */
export function systemBin(entity: string, name: string): string {
  const feature = SYSTEM_FEATURES.find((f) => f.entity === entity && f.name === name);
  if (!feature) throw new Error(`no system feature ${entity}.${name}`);
  return feature.bin;
}
