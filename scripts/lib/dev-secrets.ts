import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The secrets a local stack needs; one set per checkout, shared by every region. */
export interface DevSecrets {
  /** Edge <-> origin request signing (`ORIGIN_SIGNING_SECRET`). */
  signing: string;
  /** Origin admin API bearer token (`ADMIN_TOKEN`). */
  adminToken: string;
  /** Signs the edge's session cookie (`SESSION_COOKIE_SECRET`). */
  sessionCookie: string;
  /** What a store's backend would sign shopper JWTs with (`SHOPPER_TOKEN_SECRET`). */
  shopperToken: string;
}

/** One secret kept in `dataDir/name` (mode 600) so restarts reuse it; never committed. */
function devSecret(dataDir: string, name: string): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(24).toString("hex");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** The checkout's dev secrets, generated on first use under `dataDir` (.data). */
export function devSecrets(dataDir: string): DevSecrets {
  mkdirSync(dataDir, { recursive: true });
  return {
    signing: devSecret(dataDir, "dev-signing-secret"),
    adminToken: devSecret(dataDir, "dev-admin-token"),
    sessionCookie: devSecret(dataDir, "dev-session-cookie-secret"),
    shopperToken: devSecret(dataDir, "dev-shopper-token-secret"),
  };
}
