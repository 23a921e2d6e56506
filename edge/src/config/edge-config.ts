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
  // Whole request budget is 50 ms by default (see BRIEF); the origin call may use up to all of it.
  ORIGIN_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000),
  // Queue delivery is off the shopper's path: a few seconds lets a busy origin finish a batch.
  EVENTS_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(5_000),
});

export type EdgeConfig = {
  region: string;
  originUrl: string;
  signingSecret: string;
  originTimeoutMs: number;
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
      originTimeoutMs: raw.ORIGIN_TIMEOUT_MS,
      eventsDeliveryTimeoutMs: raw.EVENTS_DELIVERY_TIMEOUT_MS,
    };
    parsed.set(env, config);
  }
  return config;
}
