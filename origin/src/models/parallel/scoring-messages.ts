import type { BranchFreeForest, ScoringRules } from "../branch-free/branch-free-forest.js";

/**
 * The control block both threads share (an `Int32Array` over a
 * `SharedArrayBuffer`): a wake counter the worker waits on, the state of
 * the one job, the job's parameters, and a stop flag.
 */
export const CTRL = {
  /** Bumped (and notified) by the main thread for every job and every batch of messages. */
  WAKE: 0,
  STATE: 1,
  STOP: 2,
  KEY: 3,
  ROWS: 4,
  STRIDE: 5,
  WIDTH: 6,
  FLOAT32: 7,
  /** The first row no thread has claimed yet (both threads claim chunks with `Atomics.add`). */
  NEXT: 8,
  SIZE: 9,
} as const;

/**
 * Job states. The main thread posts (`POSTED`); the worker joins
 * (`POSTED` → `TAKEN`, compare-and-swap), claims chunks of rows until none
 * are left and ends with `DONE` (or `FAILED`). A main thread that ran out
 * of chunks before the worker joined takes the job back (`POSTED` → `IDLE`),
 * so it never waits for a worker that has not started.
 */
export const JOB = { IDLE: 0, POSTED: 1, TAKEN: 2, DONE: 3, FAILED: 4 } as const;

/** Rows per claim: a multiple of the kernel's four-row step; 7 claims share 200 rows; 8 and 16 measured no better. */
export const CHUNK_ROWS = 32;

/** What the worker is started with. */
export interface ScoringWorkerData {
  control: SharedArrayBuffer;
  /** Where `ToScoringWorker` messages arrive; read synchronously between jobs. */
  port: import("node:worker_threads").MessagePort;
}

/** Main thread -> scoring worker, read before the job of the same wake. */
export type ToScoringWorker =
  /** The shared buffers every later job reads and writes (sent again whenever they grow). */
  | { kind: "buffers"; input: SharedArrayBuffer; output: SharedArrayBuffer }
  /** A model's branch-free forest, compiled into a kernel under `key` (once per model). */
  | {
      kind: "load";
      key: number;
      forest: BranchFreeForest;
      rules: ScoringRules;
      specialise: boolean;
    }
  | { kind: "drop"; key: number };

/** Scoring worker -> main thread (its event loop is never free otherwise). */
export type FromScoringWorker = { kind: "ready" };
