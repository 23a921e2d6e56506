import { z } from "zod";
import { parseEnv } from "#shared/config/parse-env";

/**
 * The hot layer's own settings (wrangler.toml `HOT_*` vars). Kept apart from
 * `edge-config.ts` so the region store (a Durable Object with the same
 * bindings) parses only what it needs.
 */
const HotEnv = z.object({
  // The freshness bound: an origin write is visible at the edge within this, even if a publish is lost.
  HOT_FRESHNESS_MS: z.coerce.number().int().min(200).max(600_000).default(5_000),
  // An isolate re-asks its region store this often; must stay well below the bound (it is part of it).
  HOT_MEMORY_STALE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  // 50k entries of a few hundred bytes: a few MB per isolate, beside a ~5 MB retrieval pool.
  HOT_MEMORY_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  // 16 MB keeps the isolate far below the 64 MB target with the pool and the inference cache.
  HOT_MEMORY_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(256 * 1024 * 1024)
    .default(16_777_216),
  // How long a shopper's read waits for the origin on a miss; the pull itself goes on to fill the store.
  HOT_PULL_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(50),
  // A pull off the shopper's path (background refresh, pool) may take this long before it counts as failed.
  HOT_PULL_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
});

export interface HotConfig {
  freshnessMs: number;
  memoryStaleMs: number;
  /** Oldest confirmation the region store serves without asking the origin: the bound minus the memory tier's share. */
  storeMaxAgeMs: number;
  memoryMaxEntries: number;
  memoryMaxBytes: number;
  pullWaitMs: number;
  pullTimeoutMs: number;
}

const parsed = new WeakMap<object, HotConfig>();

/** Parsed once per bindings object; throws `ConfigError` naming each bad variable. */
export function hotConfig(env: object): HotConfig {
  let config = parsed.get(env);
  if (!config) {
    const raw = parseEnv(HotEnv, env as Record<string, unknown>, "edge hot layer");
    const memoryStaleMs = Math.min(raw.HOT_MEMORY_STALE_MS, Math.floor(raw.HOT_FRESHNESS_MS / 2));
    config = {
      freshnessMs: raw.HOT_FRESHNESS_MS,
      memoryStaleMs,
      storeMaxAgeMs: raw.HOT_FRESHNESS_MS - memoryStaleMs,
      memoryMaxEntries: raw.HOT_MEMORY_MAX_ENTRIES,
      memoryMaxBytes: raw.HOT_MEMORY_MAX_BYTES,
      pullWaitMs: raw.HOT_PULL_WAIT_MS,
      pullTimeoutMs: raw.HOT_PULL_TIMEOUT_MS,
    };
    parsed.set(env, config);
  }
  return config;
}
