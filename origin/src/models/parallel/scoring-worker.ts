/**
 * Worker-thread entry of the parallel scorer: holds the kernels of the
 * models the main thread sent (compiled here, from the same forest and
 * rules, so every row's arithmetic is the main thread's) and adds their
 * trees to chunks of rows it claims from the job in shared buffers. It
 * sleeps in `Atomics.wait` rather than in its event loop: a futex wake
 * costs microseconds where a message costs a loop turn on each side.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { compileTreeKernel, type TreeKernel } from "../branch-free/branch-free-kernel.js";
import {
  CHUNK_ROWS,
  CTRL,
  type FromScoringWorker,
  JOB,
  type ScoringWorkerData,
  type ToScoringWorker,
} from "./scoring-messages.js";

const data = workerData as ScoringWorkerData;
const ctrl = new Int32Array(data.control);
const kernels = new Map<number, TreeKernel>();
const none = new SharedArrayBuffer(0);
let input32 = new Float32Array(none);
let input64 = new Float64Array(none);
let output = new Float64Array(none);

function apply(message: ToScoringWorker): void {
  switch (message.kind) {
    case "buffers":
      input32 = new Float32Array(message.input);
      input64 = new Float64Array(message.input);
      output = new Float64Array(message.output);
      break;
    case "load":
      kernels.set(
        message.key,
        compileTreeKernel(message.forest, message.rules, message.specialise),
      );
      break;
    case "drop":
      kernels.delete(message.key);
      break;
  }
}

/** Claims chunks of rows until none are left (the main thread claims from the same counter). */
function runJob(): void {
  const kernel = kernels.get(ctrl[CTRL.KEY] as number);
  if (!kernel) {
    Atomics.store(ctrl, CTRL.STATE, JOB.FAILED);
    return;
  }
  try {
    const m = ctrl[CTRL.FLOAT32] ? input32 : input64;
    const rows = ctrl[CTRL.ROWS] as number;
    const stride = ctrl[CTRL.STRIDE] as number;
    const width = ctrl[CTRL.WIDTH] as number;
    for (;;) {
      const start = Atomics.add(ctrl, CTRL.NEXT, CHUNK_ROWS);
      if (start >= rows) break;
      const n = Math.min(CHUNK_ROWS, rows - start);
      kernel(m.subarray(start * stride), n, stride, width, output.subarray(start * width));
    }
    Atomics.store(ctrl, CTRL.STATE, JOB.DONE);
  } catch {
    Atomics.store(ctrl, CTRL.STATE, JOB.FAILED);
  }
}

/** Long enough to cost nothing idle; short enough that a missed stop flag still ends the loop. */
const IDLE_WAIT_MS = 1_000;

parentPort?.postMessage({ kind: "ready" } satisfies FromScoringWorker);
let seen = Atomics.load(ctrl, CTRL.WAKE);
while (Atomics.load(ctrl, CTRL.STOP) === 0) {
  Atomics.wait(ctrl, CTRL.WAKE, seen, IDLE_WAIT_MS);
  seen = Atomics.load(ctrl, CTRL.WAKE);
  for (let m = receiveMessageOnPort(data.port); m; m = receiveMessageOnPort(data.port)) {
    apply(m.message as ToScoringWorker);
  }
  if (Atomics.compareExchange(ctrl, CTRL.STATE, JOB.POSTED, JOB.TAKEN) !== JOB.POSTED) continue;
  runJob();
  Atomics.notify(ctrl, CTRL.STATE);
}
