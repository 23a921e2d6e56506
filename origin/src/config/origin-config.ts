import { z } from "zod";
import { parseEnv } from "#shared/config/parse-env";
import { RegionName } from "#shared/config/region";
import { Failpoint } from "../events/failpoint.js";
import { EdgePublishUrls, edgeTargets } from "../publish/edge-targets.js";
import { AerospikeHosts } from "./aerospike-hosts.js";

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const positiveSeconds = z.coerce.number().int().positive();
const flag = z
  .enum(["true", "false", "1", "0"], { message: 'expected "true" or "false"' })
  .transform((v) => v === "true" || v === "1");

/** The store's variables: the origin's and every CLI's that opens the store (no secrets needed). */
const storeFields = {
  STORE: z.enum(["lmdb", "aerospike"]).default("lmdb"),
  LMDB_PATH: z.string().min(1).default(".data/lmdb"),
  // Decoded records each process keeps, valid while their set is unwritten (set-read-cache.ts);
  // 0 turns the cache off. 50,000 wide feature records are roughly 50–100 MB.
  LMDB_READ_CACHE_RECORDS: z.coerce.number().int().min(0).max(10_000_000).default(50_000),
  AEROSPIKE_HOSTS: AerospikeHosts.optional(),
  AEROSPIKE_NAMESPACE: z.string().min(1).max(31).default("test"),
  // Reads sit on the request path: 250 ms with retries, well inside the edge's budget plus slack.
  AEROSPIKE_READ_TIMEOUT_MS: positiveMs.default(250),
  // A 1,000-key batch fans out to every node; 1 s bounds a slow node without failing healthy ones.
  AEROSPIKE_BATCH_TIMEOUT_MS: positiveMs.default(1_000),
  // Writes are off the request path (events, admin): 1 s before we report the store as failing.
  AEROSPIKE_WRITE_TIMEOUT_MS: positiveMs.default(1_000),
  // The client's own default pool size per node; commands beyond it fail with -7.
  AEROSPIKE_MAX_CONNS_PER_NODE: z.coerce.number().int().min(1).max(10_000).default(100),
};

const requireAerospikeHosts: [
  (env: { STORE: string; AEROSPIKE_HOSTS?: unknown }) => boolean,
  { path: string[]; message: string; when: () => boolean },
] = [
  (env) => !(env.STORE === "aerospike" && env.AEROSPIKE_HOSTS === undefined),
  {
    path: ["AEROSPIKE_HOSTS"],
    message: "required when STORE=aerospike (host:port[,host:port])",
    // Run even when other variables are wrong, so one start-up reports every problem at once.
    when: () => true,
  },
];

const StoreEnv = z.object(storeFields).refine(...requireAerospikeHosts);

const OriginEnv = z
  .object({
    ORIGIN_HOST: z.string().min(1).default("127.0.0.1"),
    /** 0 asks the OS for a free port (tests). */
    ORIGIN_PORT: port.default(8788),
    REGION: RegionName.default("local"),
    ORIGIN_SIGNING_SECRET: z
      .string({ message: "expected the secret shared with the edge" })
      .min(16, "expected at least 16 characters"),
    ...storeFields,
    /** Bearer token of the admin API (`/admin/*`); unset = the admin API is disabled. */
    ADMIN_TOKEN: z.string().min(16, "expected at least 16 characters").optional(),
    // 1 s: a registry change reaches every process within about a second, for one tiny read each.
    FEATURE_REGISTRY_POLL_MS: positiveMs.default(1_000),
    /** Share of serve requests (by request id) whose vectors go to the training log; 0 = off. */
    FEATURE_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.01),
    FEATURE_LOG_PATH: z.string().min(1).default(".data/feature-log.ndjson"),
    SEED_DEMO_DATA: flag.default(false),
    // 7 days: outlasts the queue's retries (minutes) and its default 4-day retention, so any redelivery is recognised.
    EVENT_DEDUPE_WINDOW_SECONDS: positiveSeconds.default(7 * 24 * 3600),
    /** Edges to publish hot-layer changes to: `url` or `region=url`, comma separated; empty = none. */
    EDGE_PUBLISH_URLS: EdgePublishUrls.default([]),
    // 2 s: trending moves with every event; well inside the edge's 5 s freshness bound.
    HOT_REFRESH_MS: positiveMs.default(2_000),
    // 30 s: a rebuild reads every item and re-ships ~5 MB per region; stock, category and brand reach
    // the edge's filters sooner through the pool overlay (docs/edge.md), so only embeddings wait for it.
    HOT_POOL_REBUILD_MS: positiveMs.default(30_000),
    // 10k changed ids per edge: one admin write's worth many times over; beyond it the edge's re-pull covers.
    HOT_PUBLISH_QUEUE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    /** Test-only: crash the process at this point of event ingestion (crash tests). */
    ORIGIN_FAILPOINT: Failpoint.optional(),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
  })
  .refine(...requireAerospikeHosts);

export type OriginConfig = ReturnType<typeof loadOriginConfig>;

/** Parses the origin's configuration once at start-up; throws `ConfigError` naming each bad variable. */
export function loadOriginConfig(source: Record<string, string | undefined> = process.env) {
  const env = parseEnv(OriginEnv, source, "origin");
  return {
    host: env.ORIGIN_HOST,
    port: env.ORIGIN_PORT,
    region: env.REGION,
    signingSecret: env.ORIGIN_SIGNING_SECRET,
    seedDemoData: env.SEED_DEMO_DATA,
    logLevel: env.LOG_LEVEL,
    events: { dedupeWindowSeconds: env.EVENT_DEDUPE_WINDOW_SECONDS },
    failpoint: env.ORIGIN_FAILPOINT,
    adminToken: env.ADMIN_TOKEN,
    features: {
      registryPollMs: env.FEATURE_REGISTRY_POLL_MS,
      logSampleRate: env.FEATURE_LOG_SAMPLE_RATE,
      logPath: env.FEATURE_LOG_PATH,
    },
    store: storeConfig(env),
    hot: {
      edges: edgeTargets(env.EDGE_PUBLISH_URLS, env.REGION),
      refreshMs: env.HOT_REFRESH_MS,
      poolRebuildMs: env.HOT_POOL_REBUILD_MS,
      queueMax: env.HOT_PUBLISH_QUEUE_MAX,
    },
  };
}

/** The LMDB store's settings (tests and tools may leave the read cache at its default). */
interface LmdbConfig {
  kind: "lmdb";
  namespace: string;
  path: string;
  readCacheRecords?: number;
}

function storeConfig(env: z.infer<typeof StoreEnv>) {
  return env.STORE === "aerospike"
    ? {
        kind: "aerospike" as const,
        namespace: env.AEROSPIKE_NAMESPACE,
        hosts: env.AEROSPIKE_HOSTS ?? [],
        readTimeoutMs: env.AEROSPIKE_READ_TIMEOUT_MS,
        batchTimeoutMs: env.AEROSPIKE_BATCH_TIMEOUT_MS,
        writeTimeoutMs: env.AEROSPIKE_WRITE_TIMEOUT_MS,
        maxConnsPerNode: env.AEROSPIKE_MAX_CONNS_PER_NODE,
        // Never more in flight than one node's pool, even if every command hits that node.
        maxInFlight: env.AEROSPIKE_MAX_CONNS_PER_NODE,
      }
    : ({
        kind: "lmdb",
        namespace: "reco",
        path: env.LMDB_PATH,
        readCacheRecords: env.LMDB_READ_CACHE_RECORDS,
      } satisfies LmdbConfig as LmdbConfig);
}

/**
 * Only the store part of the origin's configuration, for CLIs (the backfill)
 * that open the same store without serving: no signing secret needed.
 */
export function loadStoreConfig(
  source: Record<string, string | undefined> = process.env,
): OriginConfig["store"] {
  return storeConfig(parseEnv(StoreEnv, source, "store"));
}
