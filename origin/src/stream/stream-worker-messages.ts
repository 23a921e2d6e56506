import type { OriginConfig } from "../config/origin-config.js";
import type { StoreErrorCode } from "../store/port.js";

/** What the stream worker is started with. */
export interface StreamWorkerData {
  /** LMDB only: the Aerospike client's native addon cannot be loaded by a worker thread. */
  store: Extract<OriginConfig["store"], { kind: "lmdb" }>;
  region: string;
  /**
   * Test-only: the first worker started exits (as if it crashed) when its
   * first batch arrives, before applying it; workers started after it do not.
   */
  exitOnFirstApply?: boolean;
}

/** Main thread -> worker. */
export type ToStreamWorker =
  /**
   * Apply these events: JSON arrays of accepted events, concatenated in
   * order (cheaper to send than objects; one per delivery when the event
   * log's serialisation is reused).
   */
  | { kind: "apply"; id: number; events: readonly string[] }
  /** Close the worker's store (after the last apply). */
  | { kind: "close" };

/** Worker -> main thread. */
export type FromStreamWorker =
  | { kind: "ready" }
  /** The batch's writes are in the store's transaction (not yet durable: `applied` says so). */
  | { kind: "written"; id: number }
  | { kind: "applied"; id: number }
  /** `code` is the `StoreError` code, `null` for any other error. */
  | { kind: "failed"; id: number; code: StoreErrorCode | null; message: string }
  | { kind: "warn"; details: object; message: string }
  | { kind: "closed" };
