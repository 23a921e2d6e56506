import { pino } from "pino";

/** One process-wide logger; JSON lines, no per-request logging on hot paths. */
export function createLogger(level: string) {
  return pino({ level, base: { service: "origin" } });
}
export type Logger = ReturnType<typeof createLogger>;
