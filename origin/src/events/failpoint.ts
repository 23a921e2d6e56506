import { z } from "zod";

/**
 * Test-only crash points in event ingestion (`ORIGIN_FAILPOINT`), used by the
 * crash tests to kill the origin between receiving and applying a batch.
 */
export const Failpoint = z.enum([
  /** After the batch is durably in the event log, before it is acknowledged. */
  "exit-after-event-log",
  /**
   * In the applier, 300 ms before applying (time for the acknowledgement to
   * leave): acknowledged, logged, not applied.
   */
  "exit-before-apply",
  /** In the applier, after the features are written, before the events are marked applied (the re-apply window). */
  "exit-after-apply",
]);
export type Failpoint = z.infer<typeof Failpoint>;

/**
 * Kills this process with SIGKILL (no cleanup, like a power cut) when `here`
 * is the configured failpoint, after `delayMs`; otherwise resolves at once.
 */
export function crashAt(
  active: Failpoint | undefined,
  here: Failpoint,
  delayMs = 0,
): Promise<void> {
  if (active !== here) return Promise.resolve();
  const kill = () => process.kill(process.pid, "SIGKILL");
  if (delayMs > 0) setTimeout(kill, delayMs);
  else kill();
  // Never settles: nothing after the failpoint may run while the signal lands.
  return new Promise(() => {});
}
