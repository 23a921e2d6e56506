import { z } from "zod";

export const HealthResponse = z.object({
  status: z.enum(["ok", "degraded"]),
  service: z.enum(["edge", "origin"]),
  region: z.string(),
  /** Per-dependency state, e.g. `{ store: "ok" }`. */
  checks: z.record(z.string(), z.enum(["ok", "down"])),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
