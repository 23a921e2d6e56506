import type { Worker } from "node:worker_threads";
import { ForestModel, type PredictInProgress } from "../forest-model.js";
import type { FeatureMatrix, Model } from "../model.js";
import type { FromScoringWorker, ToScoringWorker } from "./scoring-messages.js";
import { startScoringWorker } from "./start-scoring-worker.js";

/** Scores a model's rows; the rank path calls this instead of `model.predict`. */
export interface ModelScorer {
  predict(model: Model, matrix: FeatureMatrix, rows: number): Float64Array | Promise<Float64Array>;
  /** Ends the worker thread, if any (origin stop). */
  close(): Promise<void>;
}

/** Scores on the calling thread: parallel scoring off, and the fallback. */
export const mainThreadScorer: ModelScorer = {
  predict: (model, matrix, rows) => model.predict(matrix, rows),
  close: async () => {},
};

export interface ParallelScorerOptions {
  /** Fewer rows are scored on the main thread alone (the hand-off costs more than it saves). */
  minRows?: number;
  logger?: { warn(details: object, message: string): void };
  /** Tests restart at once; see {@link RESTART_DELAY_MS}. */
  restartDelayMs?: number;
  /** Tests wait longer, so a loaded box cannot turn a split into a fallback; see {@link REPLY_TIMEOUT_MS}. */
  replyTimeoutMs?: number;
}

/** Below this the worker's share is smaller than the hand-off (two messages, two copies). */
export const DEFAULT_MIN_PARALLEL_ROWS = 64;
/** Models whose kernels the worker keeps: the active versions and a few experiment arms. */
const MAX_WORKER_MODELS = 8;
/**
 * A half takes ~1 ms: a reply later than this (the worker descheduled on a
 * busy box) is not waited for, the main thread scores that share itself.
 */
const REPLY_TIMEOUT_MS = 20;
/** A worker that has not answered a call for this long is hung: it is ended and replaced. */
const HUNG_MS = 5_000;
/** A worker that died is started again at most this often, so a broken one cannot spin. */
const RESTART_DELAY_MS = 1_000;

interface Running {
  worker: Worker;
  ready: boolean;
  /** Model keys whose kernels the worker holds, oldest use first. */
  loaded: Map<number, true>;
  /**
   * The call in flight (at most one). It stays set after its caller stopped
   * waiting (timeout) until the worker answers: the shared buffers are its.
   */
  pending: {
    call: number;
    since: number;
    resolve: () => void;
    reject: (error: Error) => void;
  } | null;
}

/**
 * Splits a large predict by rows across two threads: the main thread adds
 * the trees to rows [0, h) with the model's compiled kernel while a worker
 * thread adds them to rows [h, n) with the same kernel compiled there, then
 * the main thread applies the transform. Every row's arithmetic is the one
 * a single-thread predict does (the same trees, in the same order, in the
 * same precision), so predictions are bit-identical.
 *
 * Used only when it pays: a branch-free model, at least `minRows` rows, and
 * the worker idle (one call in flight; under concurrency the second core is
 * busy anyway). Anything else, and a worker that errs, dies or stalls, is
 * scored on the main thread; a dead worker is restarted lazily.
 *
 * @example
 * const scorer = new ParallelScorer();
 * const scores = await scorer.predict(active.model, graph.matrix, graph.rows);
 */
export class ParallelScorer implements ModelScorer {
  readonly #minRows: number;
  readonly #logger: ParallelScorerOptions["logger"];
  readonly #restartDelayMs: number;
  readonly #replyTimeoutMs: number;
  /** Predicts split across the threads, scored on the main thread alone, and splits the worker failed. */
  readonly counts = { parallel: 0, mainThread: 0, fallback: 0 };
  #running: Running | null = null;
  #restartAfter = 0;
  #closed = false;
  #calls = 0;
  #nextKey = 1;
  readonly #keys = new WeakMap<ForestModel, number>();
  /** When the registry drops a model and it is collected, the worker drops its kernel. */
  readonly #collected = new FinalizationRegistry<number>((key) => this.#drop(key));
  #input = new SharedArrayBuffer(0);
  #output = new SharedArrayBuffer(0);

  constructor(options: ParallelScorerOptions = {}) {
    this.#minRows = options.minRows ?? DEFAULT_MIN_PARALLEL_ROWS;
    this.#logger = options.logger;
    this.#restartDelayMs = options.restartDelayMs ?? RESTART_DELAY_MS;
    this.#replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
  }

  predict(model: Model, matrix: FeatureMatrix, rows: number): Float64Array | Promise<Float64Array> {
    const running =
      model instanceof ForestModel && model.branchFree && rows >= this.#minRows
        ? this.#worker()
        : null;
    if (!running?.ready || running.pending || !(model instanceof ForestModel)) {
      this.counts.mainThread++;
      return model.predict(matrix, rows);
    }
    this.counts.parallel++;
    return this.#split(running, model, matrix, rows);
  }

  /** `true` once the worker has started and can take a share (tests wait for it). */
  get ready(): boolean {
    return this.#running?.ready === true;
  }

  /** The worker thread, if one is running (tests end it to check the fallback). */
  get workerThread(): Worker | undefined {
    return this.#running?.worker;
  }

  /** Starts the worker in the background, so the first large predicts need not score alone. */
  start(): this {
    this.#worker();
    return this;
  }

  /** Starts the worker now rather than on the first large predict; resolves once it is ready. */
  async warmUp(): Promise<void> {
    while (!this.#closed && !this.ready) {
      this.#worker();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const running = this.#running;
    this.#running = null;
    if (running) await running.worker.terminate();
  }

  async #split(
    running: Running,
    model: ForestModel,
    matrix: FeatureMatrix,
    rows: number,
  ): Promise<Float64Array> {
    const p = model.beginPredict(matrix, rows);
    const stride = model.numFeatures;
    const width = model.numOutputs;
    // The kernel walks four rows at once: the main thread's share stays a multiple of four.
    const h = Math.min(rows, Math.ceil(rows / 8) * 4);
    const theirs = rows - h;
    const float32 = p.input instanceof Float32Array;
    const { input, output } = this.#buffers(running, theirs * stride * 8, theirs * width * 8);
    const shared = float32 ? new Float32Array(input) : new Float64Array(input);
    shared.set(p.input.subarray(h * stride, rows * stride));
    output.set(p.raw.subarray(h * width, rows * width));
    const call = ++this.#calls;
    const key = this.#load(running, model);
    const done = this.#await(running, call);
    post(running, { kind: "score", call, key, float32, rows: theirs, stride, width });
    model.addTrees(p.input, 0, h, p.raw);
    try {
      await done;
      p.raw.set(output.subarray(0, theirs * width), h * width);
    } catch (error) {
      this.counts.fallback++;
      this.#logger?.warn(
        { err: String(error) },
        "scoring worker failed; scored on the main thread",
      );
      // The shared copy of the input: the model's own scratch may hold a later call's rows by now.
      model.addTrees(shared, 0, theirs, p.raw.subarray(h * width));
    }
    return model.finishPredict(p as PredictInProgress);
  }

  /** Resolves when the worker answers `call`; rejects when it fails, dies or stays silent. */
  #await(running: Running, call: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const pending = running.pending;
        if (pending?.call !== call) return;
        // Still the worker's until it answers; this caller scores the share itself.
        running.pending = { ...pending, resolve: () => {}, reject: () => {} };
        reject(new Error(`no answer in ${this.#replyTimeoutMs} ms`));
      }, this.#replyTimeoutMs);
      running.pending = {
        call,
        since: Date.now(),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  /** The shared buffers, grown (and sent again) when a call needs more. */
  #buffers(running: Running, inputBytes: number, outputBytes: number) {
    if (this.#input.byteLength < inputBytes || this.#output.byteLength < outputBytes) {
      this.#input = new SharedArrayBuffer(Math.max(inputBytes, this.#input.byteLength));
      this.#output = new SharedArrayBuffer(Math.max(outputBytes, this.#output.byteLength));
      post(running, { kind: "buffers", input: this.#input, output: this.#output });
    }
    return { input: this.#input, output: new Float64Array(this.#output) };
  }

  /** The model's key, its forest sent to the worker first if the worker does not hold it. */
  #load(running: Running, model: ForestModel): number {
    let key = this.#keys.get(model);
    if (key === undefined) {
      key = this.#nextKey++;
      this.#keys.set(model, key);
      this.#collected.register(model, key);
    }
    if (running.loaded.delete(key)) {
      running.loaded.set(key, true);
      return key;
    }
    const chosen = model.branchFree;
    if (!chosen) throw new Error("parallel scoring needs a branch-free model");
    const { forest, rules, specialise } = chosen;
    post(running, { kind: "load", key, forest, rules, specialise });
    running.loaded.set(key, true);
    for (const oldest of running.loaded.keys()) {
      if (running.loaded.size <= MAX_WORKER_MODELS) break;
      running.loaded.delete(oldest);
      post(running, { kind: "drop", key: oldest });
    }
    return key;
  }

  #drop(key: number): void {
    const running = this.#running;
    if (running?.loaded.delete(key)) post(running, { kind: "drop", key });
  }

  /** The running worker, started (lazily, at most once per restart delay) when there is none. */
  #worker(): Running | null {
    const current = this.#running;
    if (current?.pending && Date.now() - current.pending.since > HUNG_MS) {
      this.#kill(current, new Error(`no answer in ${HUNG_MS} ms`));
    }
    if (this.#running || this.#closed) return this.#running;
    const now = Date.now();
    if (now < this.#restartAfter) return null;
    this.#restartAfter = now + this.#restartDelayMs;
    let worker: Worker;
    try {
      worker = startScoringWorker();
    } catch (error) {
      this.counts.fallback++;
      this.#logger?.warn({ err: String(error) }, "scoring worker did not start");
      return null;
    }
    const running: Running = { worker, ready: false, loaded: new Map(), pending: null };
    // A new worker has neither the buffers nor the kernels: both are sent again.
    this.#input = new SharedArrayBuffer(0);
    this.#output = new SharedArrayBuffer(0);
    worker.on("message", (message: FromScoringWorker) => {
      if (message.kind === "ready") {
        running.ready = true;
        return;
      }
      const pending = running.pending;
      if (!pending || pending.call !== message.call) return;
      running.pending = null;
      if (message.kind === "scored") pending.resolve();
      else pending.reject(new Error(message.message));
    });
    worker.on("error", (error) => this.#kill(running, error));
    worker.on("exit", (code) => this.#kill(running, new Error(`exited with code ${code}`)));
    this.#running = running;
    return running;
  }

  /** Forgets a worker (ended if still running) and fails its call; the next large predict starts another. */
  #kill(running: Running, reason: Error): void {
    if (this.#running === running) this.#running = null;
    const pending = running.pending;
    running.pending = null;
    pending?.reject(reason);
    void running.worker.terminate().catch(() => {});
  }
}

function post(running: Running, message: ToScoringWorker): void {
  running.worker.postMessage(message);
}
