import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeWithPrefix } from "./prefix-lines.js";

const SERVER_ENTRY = fileURLToPath(new URL("../../origin/src/server.ts", import.meta.url));
/** Cold start incl. tsx transpile and demo seeding on 2 busy cores stays well under this. */
const START_TIMEOUT_MS = 30_000;

export interface OriginProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/**
 * V8 flags the origin runs with. A 128 MB young generation: a 100 x 50
 * feature read allocates ~0.75 MB, so with the default 16 MB a scavenge lands
 * on ~1 read in 20 and sets the p99 (docs/features.md, "What the p99 is made of").
 */
export const ORIGIN_NODE_FLAGS = ["--max-semi-space-size=128"];

/**
 * Starts the real origin as a child process (on an ephemeral loopback port
 * unless `ORIGIN_PORT` is given) and resolves once it logs its URL.
 */
export function startOriginProcess(
  env: Record<string, string>,
  /** `echo` copies its output to ours, each line prefixed with `label` when given. */
  options: { echo?: boolean; label?: string } = {},
): Promise<OriginProcess> {
  const child = spawn(process.execPath, [...ORIGIN_NODE_FLAGS, "--import", "tsx", SERVER_ENTRY], {
    // LOG_LEVEL stays info: the "origin listening" line is how the URL is learnt.
    env: { ...process.env, ORIGIN_HOST: "127.0.0.1", ORIGIN_PORT: "0", ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  if (options.echo && child.stdout && child.stderr) {
    pipeWithPrefix(child.stdout, process.stdout, options.label ?? "");
    pipeWithPrefix(child.stderr, process.stderr, options.label ?? "");
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`origin did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"origin listening"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        if (!options.echo) child.stdout?.resume();
        resolve({ url: match[1], child, stop });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      // Rejecting after resolve is a no-op: only an exit before "listening" is a start failure.
      reject(new Error(`origin exited with ${code} before listening:\n${output}`));
    });
  });
}
