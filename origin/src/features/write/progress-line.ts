import type { BackfillProgress } from "./backfill.js";

/** A TTY line is redrawn at most this often: smooth, without flooding the terminal. */
const TTY_REDRAW_MS = 100;
/** Logs (CI, files) get one line this often. */
const LOG_EVERY_MS = 5_000;
const BAR_WIDTH = 24;

export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Progress for the backfill CLI on stderr: on a TTY a `\r`-redrawn bar with
 * percentage, rows and rows/s; otherwise a plain line every few seconds.
 */
export function progressReporter(
  out: ProgressOutput,
  totalChars: number | null,
  now: () => number = Date.now,
) {
  const started = now();
  let last = 0;
  const render = (p: BackfillProgress) => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = Math.round((p.written + p.bad) / seconds);
    const share = totalChars ? Math.min(p.chars / totalChars, 1) : null;
    const bar =
      share === null
        ? ""
        : `[${"#".repeat(Math.round(share * BAR_WIDTH)).padEnd(BAR_WIDTH, ".")}] ${(share * 100).toFixed(1).padStart(5)}% `;
    return `${bar}${p.written} rows written, ${p.bad} bad, ${rate} rows/s`;
  };
  return {
    update(p: BackfillProgress): void {
      const t = now();
      if (t - last < (out.isTTY ? TTY_REDRAW_MS : LOG_EVERY_MS)) return;
      last = t;
      out.write(out.isTTY ? `\r${render(p)}\u001b[K` : `${render(p)}\n`);
    },
    done(p: BackfillProgress): void {
      out.write(out.isTTY ? `\r${render(p)}\u001b[K\n` : `${render(p)}\n`);
    },
  };
}
