/**
 * `npm run dev`: the origin on the embedded LMDB store (demo data seeded on
 * first start, reused after), then the edge under `wrangler dev`, URLs
 * printed, both stopped cleanly on Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startOriginProcess } from "./lib/origin-process.js";
import { wranglerEnv } from "./lib/wrangler-env.js";

const root = process.cwd();
const dataDir = join(root, ".data");
const EDGE_PORT = Number(process.env.EDGE_PORT ?? 8787);
const ORIGIN_PORT = Number(process.env.ORIGIN_PORT ?? 8788);
const INSPECTOR_PORT = Number(process.env.INSPECTOR_PORT ?? 9229);
/** wrangler's first build plus workerd start takes ~5 s here; 30 s is the contract. */
const EDGE_READY_TIMEOUT_MS = 30_000;

/** One secret per checkout, kept in .data so restarts reuse it; never committed. */
function devSecret(name = "dev-signing-secret"): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(24).toString("hex");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

async function waitForHealthy(url: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`edge did not answer ${url} within ${timeoutMs} ms`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    // wrangler spawns workerd: signal the whole group so nothing keeps the port.
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const secret = devSecret();
  const adminToken = devSecret("dev-admin-token");
  const cookieSecret = devSecret("dev-session-cookie-secret");
  const shopperTokenSecret = devSecret("dev-shopper-token-secret");
  const origin = await startOriginProcess(
    {
      ORIGIN_PORT: String(ORIGIN_PORT),
      ORIGIN_SIGNING_SECRET: secret,
      ADMIN_TOKEN: adminToken,
      LMDB_PATH: join(dataDir, "lmdb"),
      SEED_DEMO_DATA: "true",
      REGION: "local",
    },
    { echo: true },
  );

  const edge = spawn(
    join(root, "node_modules/.bin/wrangler"),
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(EDGE_PORT),
      "--inspector-port",
      String(INSPECTOR_PORT),
      "--persist-to",
      join(root, ".wrangler/state"),
      "--show-interactive-dev-session=false",
      "--var",
      `ORIGIN_URL:${origin.url}`,
      "--var",
      `ORIGIN_SIGNING_SECRET:${secret}`,
      "--var",
      `SESSION_COOKIE_SECRET:${cookieSecret}`,
      "--var",
      `SHOPPER_TOKEN_SECRET:${shopperTokenSecret}`,
    ],
    { env: wranglerEnv(root), stdio: ["ignore", "inherit", "inherit"], detached: true },
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    killGroup(edge, "SIGTERM");
    await origin.stop();
    // Give workerd a moment to release the port, then make sure the group is gone.
    setTimeout(() => {
      killGroup(edge, "SIGKILL");
      process.exit(code);
    }, 500);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  edge.once("exit", (code) => {
    if (!stopping) {
      process.stderr.write(`wrangler dev exited (${code}); stopping the origin\n`);
      void stop(1);
    }
  });
  origin.child.once("exit", (code) => {
    if (!stopping) {
      process.stderr.write(`origin exited (${code}); stopping the edge\n`);
      void stop(1);
    }
  });

  const edgeUrl = `http://127.0.0.1:${EDGE_PORT}`;
  await waitForHealthy(`${edgeUrl}/healthz`, EDGE_READY_TIMEOUT_MS, edge);
  process.stdout.write(
    [
      "",
      "  edge recommendation API is up",
      `  edge    ${edgeUrl}   (browser-facing)`,
      `  origin  ${origin.url}   (signed internal API, LMDB at .data/lmdb)`,
      "",
      `  try:  curl '${edgeUrl}/v1/recommendations?surface=home&k=10'`,
      `        curl ${edgeUrl}/healthz   curl ${origin.url}/healthz`,
      `  admin: curl -H 'authorization: Bearer ${adminToken}' ${origin.url}/admin/features`,
      "         (token kept in .data/dev-admin-token)",
      "  Ctrl-C stops both.",
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `npm run dev failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
