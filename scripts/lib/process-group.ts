import type { ChildProcess } from "node:child_process";

/**
 * Signals a child started with `detached: true` and its whole process group:
 * wrangler spawns workerd, and signalling only wrangler can leave workerd
 * holding the port.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
