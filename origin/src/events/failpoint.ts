import { z } from "zod";

/**
 * Test-only crash points in event ingestion (`ORIGIN_FAILPOINT`), used by the
 * crash tests to kill the origin between receiving and acknowledging a batch.
 */
export const Failpoint = z.enum([
  /** After the batch is durably in the event log, before any feature is written. */
  "exit-after-event-log",
  /** After the features are written, before the events are marked applied (the re-apply window). */
  "exit-after-apply",
]);
export type Failpoint = z.infer<typeof Failpoint>;

/**
 * Kills this process with SIGKILL (no cleanup, like a power cut) when `here`
 * is the configured failpoint; otherwise resolves at once.
 */
export function crashAt(active: Failpoint | undefined, here: Failpoint): Promise<void> {
  if (active !== here) return Promise.resolve();
  process.kill(process.pid, "SIGKILL");
  // Never settles: nothing after the failpoint may run while the signal lands.
  return new Promise(() => {});
}
