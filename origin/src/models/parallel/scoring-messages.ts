import type { BranchFreeForest, ScoringRules } from "../branch-free/branch-free-forest.js";

/** Main thread -> scoring worker. Messages arrive in order, so a `load` precedes its first `score`. */
export type ToScoringWorker =
  /** The shared buffers every later `score` reads and writes (sent again whenever they grow). */
  | { kind: "buffers"; input: SharedArrayBuffer; output: SharedArrayBuffer }
  /** A model's branch-free forest, compiled into a kernel under `key` (once per model). */
  | {
      kind: "load";
      key: number;
      forest: BranchFreeForest;
      rules: ScoringRules;
      specialise: boolean;
    }
  | { kind: "drop"; key: number }
  /**
   * Add model `key`'s trees to `rows` rows: features from the input buffer
   * (float32 or float64, `stride` per row), starting margins in the output
   * buffer (`width` per row), summed in place.
   */
  | {
      kind: "score";
      call: number;
      key: number;
      float32: boolean;
      rows: number;
      stride: number;
      width: number;
    };

/** Scoring worker -> main thread. */
export type FromScoringWorker =
  | { kind: "ready" }
  | { kind: "scored"; call: number }
  | { kind: "failed"; call: number; message: string };
