import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import { ForestModel } from "../forest-model.js";
import type { FeatureMatrix, Model } from "../model.js";
import {
  CHUNK_ROWS,
  CTRL,
  type FromScoringWorker,
  JOB,
  type ToScoringWorker,
} from "./scoring-messages.js";
import { startScoringWorker } from "./start-scoring-worker.js";

/** Scores a model's rows; the rank path calls this instead of `model.predict`. */
export interface ModelScorer {
  predict(model: Model, matrix: FeatureMatrix, rows: number): Float64Array;
  /** Ends the worker thread, if any (origin stop). */
  close(): Promise<void>;
}

/** Scores on the calling thread: parallel scoring off. */
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
  /**
   * `false`: always wait for the worker's share instead of taking back a
   * job it has not started (tests, to check the worker's arithmetic even
   * where the main thread's share is the faster one).
   */
  reclaim?: boolean;
}

/** Below this the worker's share is smaller than the hand-off (two copies, a futex wake). */
export const DEFAULT_MIN_PARALLEL_ROWS = 64;
/** Models whose kernels the worker keeps: the active versions and a few experiment arms. */
const MAX_WORKER_MODELS = 8;
/**
 * The worker's half takes ~1 ms once it has started: a worker that took a
 * job and has not finished it after this long was descheduled (a busy box)
 * or died; the main thread scores the share itself.
 */
const REPLY_TIMEOUT_MS = 20;
/** A worker that died is started again at most this often, so a broken one cannot spin. */
const RESTART_DELAY_MS = 1_000;

interface Running {
  worker: Worker;
  port: MessagePort;
  ctrl: Int32Array;
  ready: boolean;
  /** Model keys whose kernels the worker holds, oldest use first. */
  loaded: Map<number, true>;
  /** The shared buffers the worker was last sent. */
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
}

/**
 * Splits a large predict by rows across two threads: the main thread adds
 * the trees to rows [0, h) with the model's compiled kernel while a worker
 * thread adds them to rows [h, n) with the same kernel compiled there, then
 * the main thread applies the transform. Every row's arithmetic is the one
 * a single-thread predict does (the same trees, in the same order, in the
 * same precision), so predictions are bit-identical.
 *
 * The hand-off is synchronous, through a shared control block: the main
 * thread posts the job, scores its share, then either takes the job back
 * (the worker has not started it: descheduled, or the second core busy) or
 * waits the few hundred microseconds until the worker's share is done. So
 * it never waits for a worker that is not running, and `predict` stays
 * synchronous. Only a branch-free model with at least `minRows` rows is
 * split; a worker that fails, dies or stalls costs that call its share on
 * the main thread, and a dead worker is restarted lazily.
 *
 * @example
 * const scorer = new ParallelScorer().start();
 * const scores = scorer.predict(active.model, graph.matrix, graph.rows);
 */
export class ParallelScorer implements ModelScorer {
  readonly #minRows: number;
  readonly #logger: ParallelScorerOptions["logger"];
  readonly #restartDelayMs: number;
  readonly #replyTimeoutMs: number;
  readonly #reclaim: boolean;
  /**
   * Predicts whose second share the worker scored; scored on the main
   * thread alone (small, walking, no worker ready, or the worker still busy);
   * and split but finished by the main thread (job taken back, failed or late).
   */
  readonly counts = { parallel: 0, mainThread: 0, fallback: 0 };
  #running: Running | null = null;
  #restartAfter = 0;
  #closed = false;
  #nextKey = 1;
  readonly #keys = new WeakMap<ForestModel, number>();
  /** When the registry drops a model and it is collected, the worker drops its kernel. */
  readonly #collected = new FinalizationRegistry<number>((key) => this.#drop(key));

  constructor(options: ParallelScorerOptions = {}) {
    this.#minRows = options.minRows ?? DEFAULT_MIN_PARALLEL_ROWS;
    this.#logger = options.logger;
    this.#restartDelayMs = options.restartDelayMs ?? RESTART_DELAY_MS;
    this.#replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this.#reclaim = options.reclaim ?? true;
  }

  predict(model: Model, matrix: FeatureMatrix, rows: number): Float64Array {
    const running =
      model instanceof ForestModel && model.branchFree && rows >= this.#minRows
        ? this.#worker()
        : null;
    if (!running?.ready || !this.#idle(running) || !(model instanceof ForestModel)) {
      this.counts.mainThread++;
      return model.predict(matrix, rows);
    }
    return this.#split(running, model, matrix, rows);
  }

  /** `true` once the worker has started and can take a share (tests wait for it). */
  get ready(): boolean {
    return this.#running?.ready === true;
  }

  /** The worker thread, if one is running (tests end it). */
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
    if (!running) return;
    Atomics.store(running.ctrl, CTRL.STOP, 1);
    Atomics.add(running.ctrl, CTRL.WAKE, 1);
    Atomics.notify(running.ctrl, CTRL.WAKE);
    running.port.close();
    await running.worker.terminate();
  }

  #split(running: Running, model: ForestModel, matrix: FeatureMatrix, rows: number): Float64Array {
    const p = model.beginPredict(matrix, rows);
    const stride = model.numFeatures;
    const width = model.numOutputs;
    const float32 = p.input instanceof Float32Array;
    this.#buffers(running, rows * stride * 8, rows * width * 8);
    const shared = float32 ? new Float32Array(running.input) : new Float64Array(running.input);
    const output = new Float64Array(running.output);
    shared.set(p.input.subarray(0, rows * stride));
    output.set(p.raw.subarray(0, rows * width));
    const ctrl = running.ctrl;
    ctrl[CTRL.KEY] = this.#load(running, model);
    ctrl[CTRL.ROWS] = rows;
    ctrl[CTRL.STRIDE] = stride;
    ctrl[CTRL.WIDTH] = width;
    ctrl[CTRL.FLOAT32] = float32 ? 1 : 0;
    Atomics.store(ctrl, CTRL.NEXT, 0);
    Atomics.store(ctrl, CTRL.STATE, JOB.POSTED);
    Atomics.add(ctrl, CTRL.WAKE, 1);
    Atomics.notify(ctrl, CTRL.WAKE);

    // Chunks from the shared counter, so a worker that wakes late or runs slower takes fewer.
    for (;;) {
      const start = Atomics.add(ctrl, CTRL.NEXT, CHUNK_ROWS);
      if (start >= rows) break;
      model.addTrees(shared, start, Math.min(rows, start + CHUNK_ROWS), output);
    }
    if (
      this.#reclaim &&
      Atomics.compareExchange(ctrl, CTRL.STATE, JOB.POSTED, JOB.IDLE) === JOB.POSTED
    ) {
      // The worker never joined: the main thread scored every chunk.
      this.counts.fallback++;
      p.raw.set(output.subarray(0, rows * width));
      return model.finishPredict(p);
    }
    const deadline = performance.now() + this.#replyTimeoutMs;
    let state = Atomics.load(ctrl, CTRL.STATE);
    // Woken by the worker's notify on DONE/FAILED; POSTED only without reclaim (not yet joined).
    while ((state === JOB.TAKEN || state === JOB.POSTED) && performance.now() < deadline) {
      Atomics.wait(ctrl, CTRL.STATE, state, Math.max(0, deadline - performance.now()));
      state = Atomics.load(ctrl, CTRL.STATE);
    }
    if (state === JOB.DONE) {
      Atomics.store(ctrl, CTRL.STATE, JOB.IDLE);
      this.counts.parallel++;
      p.raw.set(output.subarray(0, rows * width));
      return model.finishPredict(p);
    }
    // Failed, or still on a chunk (late): which chunks it finished is unknown, so score all
    // again from the starting margins (still in `raw`) and the shared copy of the input
    // (the model's scratch may be reused by then). A late worker stays busy until DONE.
    if (state === JOB.FAILED) Atomics.store(ctrl, CTRL.STATE, JOB.IDLE);
    else Atomics.compareExchange(ctrl, CTRL.STATE, JOB.POSTED, JOB.IDLE);
    this.counts.fallback++;
    this.#logger?.warn({ state }, "scoring worker failed or was late; scored on the main thread");
    model.addTrees(shared, 0, rows, p.raw);
    return model.finishPredict(p);
  }

  /** `true` when no job is in the worker's hands (a late one it has since finished is cleared). */
  #idle(running: Running): boolean {
    const state = Atomics.load(running.ctrl, CTRL.STATE);
    if (state === JOB.IDLE) return true;
    if (state === JOB.DONE || state === JOB.FAILED) {
      Atomics.store(running.ctrl, CTRL.STATE, JOB.IDLE);
      return true;
    }
    return false;
  }

  /** Grows the shared buffers (and sends them) when a call needs more. */
  #buffers(running: Running, inputBytes: number, outputBytes: number): void {
    if (running.input.byteLength >= inputBytes && running.output.byteLength >= outputBytes) return;
    running.input = new SharedArrayBuffer(Math.max(inputBytes, running.input.byteLength));
    running.output = new SharedArrayBuffer(Math.max(outputBytes, running.output.byteLength));
    send(running, { kind: "buffers", input: running.input, output: running.output });
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
    send(running, { kind: "load", key, forest, rules, specialise });
    running.loaded.set(key, true);
    for (const oldest of running.loaded.keys()) {
      if (running.loaded.size <= MAX_WORKER_MODELS) break;
      running.loaded.delete(oldest);
      send(running, { kind: "drop", key: oldest });
    }
    return key;
  }

  #drop(key: number): void {
    const running = this.#running;
    // Read by the worker at its next wake (the next job).
    if (running?.loaded.delete(key)) send(running, { kind: "drop", key });
  }

  /** The running worker, started (lazily, at most once per restart delay) when there is none. */
  #worker(): Running | null {
    if (this.#running || this.#closed) return this.#running;
    const now = Date.now();
    if (now < this.#restartAfter) return null;
    this.#restartAfter = now + this.#restartDelayMs;
    const control = new SharedArrayBuffer(CTRL.SIZE * 4);
    const channel = new MessageChannel();
    let worker: Worker;
    try {
      worker = startScoringWorker({ control, port: channel.port2 });
    } catch (error) {
      this.#logger?.warn({ err: String(error) }, "scoring worker did not start");
      return null;
    }
    const none = new SharedArrayBuffer(0);
    const running: Running = {
      worker,
      port: channel.port1,
      ctrl: new Int32Array(control),
      ready: false,
      loaded: new Map(),
      input: none,
      output: none,
    };
    worker.on("message", (message: FromScoringWorker) => {
      if (message.kind === "ready") running.ready = true;
    });
    const gone = (reason: string) => {
      if (this.#running === running) this.#running = null;
      running.port.close();
      if (!this.#closed) this.#logger?.warn({ reason }, "scoring worker stopped; restarted lazily");
    };
    worker.on("error", (error) => gone(String(error)));
    worker.on("exit", (code) => gone(`exited with code ${code}`));
    this.#running = running;
    return running;
  }
}

function send(running: Running, message: ToScoringWorker): void {
  running.port.postMessage(message);
}
