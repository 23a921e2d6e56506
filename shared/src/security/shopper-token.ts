/**
 * Shopper tokens: HS256 JWTs the store's own backend mints for a signed-in
 * shopper with a secret it shares with the edge (`SHOPPER_TOKEN_SECRET`). The
 * edge verifies them (edge/src/security/verify-shopper-token.ts); this helper
 * mints them for tests, docs and `npm run dev`'s example curl.
 */
import { sign } from "hono/jwt";

export const SHOPPER_TOKEN_ALG = "HS256";
/** Clock skew tolerated on exp/nbf/iat: the store's servers and the edge are NTP-synced, 30 s is ample. */
export const SHOPPER_TOKEN_LEEWAY_S = 30;
// One hour: long enough for a browsing session, short enough that a leaked token soon stops working.
const DEFAULT_TTL_S = 3_600;

export interface MintShopperTokenInput {
  userId: string;
  secret: string;
  /** Lifetime in seconds from `nowS` (negative for an already expired token in tests). */
  ttlS?: number;
  nowS?: number;
}

/**
 * A shopper token for `userId`, as the store's backend would mint it.
 *
 * @example
 * const token = await mintShopperToken({ userId: "u00042", secret });
 * fetch(`${edge}/v1/recommendations?surface=home&userId=u00042`, {
 *   headers: { authorization: `Bearer ${token}` },
 * });
 */
export function mintShopperToken(input: MintShopperTokenInput): Promise<string> {
  const now = input.nowS ?? Math.floor(Date.now() / 1000);
  return sign(
    { sub: input.userId, iat: now, exp: now + (input.ttlS ?? DEFAULT_TTL_S) },
    input.secret,
    SHOPPER_TOKEN_ALG,
  );
}
