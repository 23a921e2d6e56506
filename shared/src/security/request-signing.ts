/**
 * HMAC-SHA256 signing of edge -> origin requests over method, path (with
 * query), a SHA-256 digest of the body and a timestamp. WebCrypto only, so the
 * same code runs in workerd and Node.
 */

export const SIGNATURE_HEADER = "x-reco-signature";
export const TIMESTAMP_HEADER = "x-reco-timestamp";
/** Replays or clock skew beyond this are refused; 30 s covers NTP drift between edge and origin. */
export const SIGNATURE_MAX_SKEW_MS = 30_000;

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keyCache.set(secret, key);
  }
  return key;
}

function toHex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

async function canonical(
  method: string,
  pathWithQuery: string,
  body: Uint8Array<ArrayBuffer> | string,
  timestamp: string,
) {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const digest = toHex(await crypto.subtle.digest("SHA-256", bytes));
  return encoder.encode(`${method.toUpperCase()}\n${pathWithQuery}\n${digest}\n${timestamp}`);
}

export interface SignInput {
  method: string;
  /** Path and query exactly as sent, e.g. `/internal/recommendations?x=1`. */
  pathWithQuery: string;
  body: Uint8Array<ArrayBuffer> | string;
  secret: string;
  now?: number;
}

/** Headers to add to a request so the origin accepts it. */
export async function signRequest(input: SignInput): Promise<Record<string, string>> {
  const timestamp = String(input.now ?? Date.now());
  const key = await hmacKey(input.secret);
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    await canonical(input.method, input.pathWithQuery, input.body, timestamp),
  );
  return { [SIGNATURE_HEADER]: toHex(mac), [TIMESTAMP_HEADER]: timestamp };
}

export type VerifyFailure = "missing" | "malformed" | "expired" | "mismatch";

export interface VerifyInput extends SignInput {
  signature: string | undefined;
  timestamp: string | undefined;
}

/** `null` when the signature is valid and fresh, otherwise why not. Constant-time compare. */
export async function verifyRequest(input: VerifyInput): Promise<VerifyFailure | null> {
  if (!input.signature || !input.timestamp) return "missing";
  const mac = fromHex(input.signature);
  const sentAt = Number(input.timestamp);
  if (!mac || !/^\d{1,15}$/.test(input.timestamp)) return "malformed";
  if (Math.abs((input.now ?? Date.now()) - sentAt) > SIGNATURE_MAX_SKEW_MS) return "expired";
  const key = await hmacKey(input.secret);
  const ok = await crypto.subtle.verify(
    "HMAC",
    key,
    mac,
    await canonical(input.method, input.pathWithQuery, input.body, input.timestamp),
  );
  return ok ? null : "mismatch";
}
