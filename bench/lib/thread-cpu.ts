import { readFileSync } from "node:fs";

/**
 * CPU time the calling thread's process main thread has used (ms), from
 * Linux's per-thread accounting (`/proc/self/task/<pid>/stat`, clock ticks of
 * 10 ms: fine over a run of seconds); `undefined` where that file does not
 * exist. Unlike event-loop utilisation it leaves out time spent waiting for a
 * core, so it compares runs on a busy box (Node 20 has no `threadCpuUsage`).
 */
export function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
