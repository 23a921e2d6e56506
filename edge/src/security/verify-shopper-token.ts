import { verify } from "hono/jwt";
import { ApiError } from "#shared/http/api-error";
import { SHOPPER_TOKEN_ALG, SHOPPER_TOKEN_LEEWAY_S } from "#shared/security/shopper-token";
import { VerifiedMemo } from "./verified-memo.js";

type Payload = Awaited<ReturnType<typeof verify>>;
// Per isolate: signed-in shoppers active on it at once; ~300 bytes each, so ~3 MB at most.
const verifiedTokens = new VerifiedMemo<Payload>(10_000);

function invalid(reason: string): ApiError {
  return new ApiError("invalid_token", `shopper token ${reason}`);
}

/**
 * The user id (`sub`) of a shopper token the store's backend signed with the
 * shared secret, or a 401 `invalid_token` saying why not. `exp` is required;
 * `exp`, `nbf` and `iat` are checked here, not by hono, to allow a small clock skew.
 */
export async function verifyShopperToken(
  token: string,
  secret: string,
  nowS = Math.floor(Date.now() / 1000),
): Promise<string> {
  let payload = verifiedTokens.get(secret, token);
  if (!payload) payload = await verifySignature(token, secret);
  const { sub, exp, nbf, iat } = payload;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 128) {
    throw invalid("needs a sub (the user id, 1-128 characters)");
  }
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw invalid("needs a numeric exp");
  if (exp + SHOPPER_TOKEN_LEEWAY_S <= nowS) throw invalid("has expired");
  if (typeof nbf === "number" && nbf - SHOPPER_TOKEN_LEEWAY_S > nowS) {
    throw invalid("is not valid yet");
  }
  if (typeof iat === "number" && iat - SHOPPER_TOKEN_LEEWAY_S > nowS) {
    throw invalid("was issued in the future");
  }
  return sub;
}

/** The payload of a token whose HS256 signature checks out (memoised), or `invalid_token`. */
async function verifySignature(token: string, secret: string): Promise<Payload> {
  let payload: Payload;
  try {
    // `alg` pinned: a token claiming `none` or another algorithm is refused before any check.
    payload = await verify(token, secret, {
      alg: SHOPPER_TOKEN_ALG,
      exp: false,
      nbf: false,
      iat: false,
    });
  } catch {
    throw invalid("is malformed or not signed by the store");
  }
  verifiedTokens.set(secret, token, payload);
  return payload;
}
