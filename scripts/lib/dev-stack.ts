import type { ChildProcess } from "node:child_process";
import type { DevSecrets } from "./dev-secrets.js";
import { type OriginProcess, startOriginProcess } from "./origin-process.js";
import { killGroup } from "./process-group.js";
import { waitForHealthy } from "./wait-healthy.js";
import { spawnWranglerDev } from "./wrangler-dev.js";

/** wrangler's first build plus workerd start takes ~5 s here, longer with two at once on 2 busy cores. */
const EDGE_READY_TIMEOUT_MS = 60_000;
// Gives workerd a moment to release its port after SIGTERM before the group is killed outright.
const EDGE_STOP_GRACE_MS = 500;

/** One region's pair: an origin on its own LMDB store and the edge of that region. */
export interface StackOptions {
  root: string;
  /** The origin's REGION; must equal the edge's (wrangler.toml's REGION for `wranglerEnv`). */
  region: string;
  /** wrangler.toml `[env.<name>]`; the top level (`REGION = "local"`) when absent. */
  wranglerEnv?: string;
  edgePort: number;
  originPort: number;
  inspectorPort: number;
  lmdbPath: string;
  persistTo: string;
  secrets: DevSecrets;
  /** Prefix for this stack's log lines (several stacks share one terminal). */
  label?: string;
}

export interface RunningStack {
  region: string;
  edgeUrl: string;
  originUrl: string;
  edge: ChildProcess;
  origin: OriginProcess;
}

/**
 * Starts the origin, then its edge pointed at it, both owned by `supervisor`;
 * resolves once the edge answers /healthz.
 */
export async function startStack(
  options: StackOptions,
  supervisor: DevSupervisor,
): Promise<RunningStack> {
  const origin = await startOriginProcess(
    {
      ORIGIN_PORT: String(options.originPort),
      ORIGIN_SIGNING_SECRET: options.secrets.signing,
      ADMIN_TOKEN: options.secrets.adminToken,
      LMDB_PATH: options.lmdbPath,
      SEED_DEMO_DATA: "true",
      REGION: options.region,
      // The hot layer: admin writes, rules and trending reach this region's edge within seconds.
      EDGE_PUBLISH_URLS: `${options.region}=http://127.0.0.1:${options.edgePort}`,
    },
    { echo: true, label: options.label && `${options.label} origin |` },
  );
  supervisor.adoptOrigin(origin, options.region);
  const edge = spawnWranglerDev({
    root: options.root,
    env: options.wranglerEnv,
    port: options.edgePort,
    inspectorPort: options.inspectorPort,
    persistTo: options.persistTo,
    vars: {
      ORIGIN_URL: origin.url,
      ORIGIN_SIGNING_SECRET: options.secrets.signing,
      SESSION_COOKIE_SECRET: options.secrets.sessionCookie,
      SHOPPER_TOKEN_SECRET: options.secrets.shopperToken,
    },
    label: options.label && `${options.label} edge   |`,
  });
  supervisor.adoptEdge(edge, options.region);
  const edgeUrl = `http://127.0.0.1:${options.edgePort}`;
  await waitForHealthy(`${edgeUrl}/healthz`, EDGE_READY_TIMEOUT_MS, edge);
  return { region: options.region, edgeUrl, originUrl: origin.url, edge, origin };
}

/**
 * Owns every process a dev script starts. From the moment it exists, Ctrl-C /
 * SIGTERM stops them all (also mid start-up: wrangler runs in its own process
 * group, so the terminal's SIGINT never reaches it), and so does any one of
 * them exiting on its own: a half-running demo only confuses. Edges go by
 * process group so no workerd keeps a port.
 */
export class DevSupervisor {
  private readonly edges: ChildProcess[] = [];
  private readonly origins: OriginProcess[] = [];
  private stopping = false;

  constructor() {
    process.on("SIGINT", () => void this.stop(0));
    process.on("SIGTERM", () => void this.stop(0));
  }

  adoptEdge(edge: ChildProcess, name: string): void {
    this.edges.push(edge);
    edge.once("exit", (code) => this.exited(`${name}: wrangler dev`, code));
  }

  adoptOrigin(origin: OriginProcess, name: string): void {
    this.origins.push(origin);
    origin.child.once("exit", (code) => this.exited(`${name}: origin`, code));
  }

  private exited(what: string, code: number | null): void {
    if (this.stopping) return;
    process.stderr.write(`${what} exited (${code}); stopping everything\n`);
    void this.stop(1);
  }

  /** Reports why `what` could not start, stops everything and exits 1. */
  async fail(what: string, error: unknown): Promise<never> {
    process.stderr.write(
      `${what} failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await this.stop(1);
    throw error; // not reached: stop exits
  }

  /** Stops everything, then exits the script with `code`. */
  async stop(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const edge of this.edges) killGroup(edge, "SIGTERM");
    await Promise.all(this.origins.map((origin) => origin.stop()));
    await new Promise((resolve) => setTimeout(resolve, EDGE_STOP_GRACE_MS));
    for (const edge of this.edges) killGroup(edge, "SIGKILL");
    process.exit(code);
  }
}
