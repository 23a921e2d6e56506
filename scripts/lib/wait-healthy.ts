import type { ChildProcess } from "node:child_process";

/** How often a starting server is asked; quick enough to feel instant, cheap on 2 cores. */
const POLL_MS = 250;

/** Resolves once `url` answers 2xx; fails if `child` exits first or `timeoutMs` passes. */
export async function waitForHealthy(
  url: string,
  timeoutMs: number,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
