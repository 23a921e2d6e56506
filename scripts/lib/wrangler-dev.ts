import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { pipeWithPrefix } from "./prefix-lines.js";
import { wranglerEnv } from "./wrangler-env.js";

export interface WranglerDevOptions {
  root: string;
  /** A wrangler.toml `[env.<name>]` (a region); the top level when absent. */
  env?: string;
  port: number;
  /** Each `wrangler dev` needs its own, or the second one fails to start. */
  inspectorPort: number;
  /** Durable Object, cache and queue state; one directory per region keeps regions apart. */
  persistTo: string;
  /** `--var` bindings (origin URL and secrets), on top of wrangler.toml's. */
  vars: Record<string, string>;
  /** Prefix for its output lines; inherited stdio when absent. */
  label?: string;
}

/**
 * Spawns `wrangler dev` on 127.0.0.1 in its own process group (stop it with
 * `killGroup`), offline (see TOOLCHAIN.md).
 */
export function spawnWranglerDev(options: WranglerDevOptions): ChildProcess {
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--inspector-port",
    String(options.inspectorPort),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    ...(options.env ? ["--env", options.env] : []),
    ...Object.entries(options.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  const child = spawn(join(options.root, "node_modules/.bin/wrangler"), args, {
    env: wranglerEnv(options.root),
    stdio: ["ignore", options.label ? "pipe" : "inherit", options.label ? "pipe" : "inherit"],
    detached: true,
  });
  if (options.label) {
    if (child.stdout) pipeWithPrefix(child.stdout, process.stdout, options.label);
    if (child.stderr) pipeWithPrefix(child.stderr, process.stderr, options.label);
  }
  return child;
}
