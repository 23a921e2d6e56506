/**
 * The rate limit's second tier: Cloudflare's Workers Rate Limiting binding
 * (`[[ratelimits]]` `LOCATION_RATE_LIMIT` in wrangler.toml), one counter per
 * key shared by every isolate of a Cloudflare location. The isolate token
 * bucket in front bounds a client per isolate, exactly and for free; this
 * bounds the same client across isolates, which the bucket cannot (a client
 * spread over N isolates would otherwise get N× the limit).
 */

/**
 * The binding's `period` in wrangler.toml (10 or 60 s, configured there, not
 * in vars): its windows are fixed, so a refused client has a new one within
 * this many seconds, which is what `Retry-After` says.
 */
export const RATE_LIMIT_LOCATION_PERIOD_S = 60;

/**
 * Seconds until `key` may ask again under the location's limit, 0 when it
 * may now. An absent binding (a deployment without it) or one that fails
 * answers 0: the isolate bucket still bounds the client, and a limiter's
 * outage must not refuse every shopper.
 *
 * @example
 * const retryAfterS = await takeLocationLimit(c.env.LOCATION_RATE_LIMIT, "s:…");
 */
export async function takeLocationLimit(
  binding: RateLimit | undefined,
  key: string,
): Promise<number> {
  if (!binding) return 0;
  try {
    const { success } = await binding.limit({ key });
    return success ? 0 : RATE_LIMIT_LOCATION_PERIOD_S;
  } catch (error) {
    console.warn(
      "location rate limit unavailable",
      error instanceof Error ? error.message : String(error),
    );
    return 0;
  }
}
