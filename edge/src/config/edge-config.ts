import { z } from "zod";
import { parseEnv } from "#shared/config/parse-env";
import { RegionName } from "#shared/config/region";
import type { EdgeBindings } from "../env.js";

const EdgeEnv = z.object({
  REGION: RegionName,
  ORIGIN_URL: z.url({ message: "expected the origin's base URL, e.g. http://127.0.0.1:8788" }),
  ORIGIN_SIGNING_SECRET: z
    .string({ message: "expected the secret shared with the origin" })
    .min(16, "expected at least 16 characters"),
  SESSION_COOKIE_SECRET: z
    .string({ message: "expected the secret that signs the edge's session cookie" })
    .min(16, "expected at least 16 characters"),
  SHOPPER_TOKEN_SECRET: z
    .string({ message: "expected the secret the store's backend signs shopper tokens with" })
    .min(16, "expected at least 16 characters"),
  // 2 KB of query is far above any real recommendation request and well below URL limits.
  MAX_QUERY_BYTES: z.coerce.number().int().min(64).max(16_384).default(2_048),
  // 1 MB matches the events contract (MAX_EVENTS_BODY_BYTES), the largest body /v1/* takes.
  MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(10_485_760).default(1_048_576),
  // A page makes a few calls per view: 10 requests/s sustained per client is generous; 0 = off.
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(100_000).default(10),
  // Burst a client may spend at once (a page load fires several calls together).
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(60),
  // Queue delivery is off the shopper's path: a few seconds lets a busy origin finish a batch.
  EVENTS_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(5_000),
});

export type EdgeConfig = {
  region: string;
  originUrl: string;
  signingSecret: string;
  sessionCookieSecret: string;
  shopperTokenSecret: string;
  maxQueryBytes: number;
  maxBodyBytes: number;
  /** Token bucket per client; `perSecond` 0 turns rate limiting off. */
  rateLimit: { perSecond: number; burst: number };
  eventsDeliveryTimeoutMs: number;
};

// Parsed once per isolate per bindings object: nothing is re-parsed per request.
const parsed = new WeakMap<object, EdgeConfig>();

/** The edge's configuration; throws `ConfigError` naming each bad binding. */
export function edgeConfig(env: EdgeBindings): EdgeConfig {
  let config = parsed.get(env);
  if (!config) {
    const raw = parseEnv(EdgeEnv, env as unknown as Record<string, unknown>, "edge");
    config = {
      region: raw.REGION,
      originUrl: raw.ORIGIN_URL.replace(/\/+$/, ""),
      signingSecret: raw.ORIGIN_SIGNING_SECRET,
      sessionCookieSecret: raw.SESSION_COOKIE_SECRET,
      shopperTokenSecret: raw.SHOPPER_TOKEN_SECRET,
      maxQueryBytes: raw.MAX_QUERY_BYTES,
      maxBodyBytes: raw.MAX_BODY_BYTES,
      rateLimit: { perSecond: raw.RATE_LIMIT_PER_SECOND, burst: raw.RATE_LIMIT_BURST },
      eventsDeliveryTimeoutMs: raw.EVENTS_DELIVERY_TIMEOUT_MS,
    };
    parsed.set(env, config);
  }
  return config;
}
