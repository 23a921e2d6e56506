/**
 * Worker-thread entry of the parallel scorer: holds the kernels of the
 * models the main thread sent (compiled here, from the same forest and
 * rules, so every row's arithmetic is the main thread's) and adds their
 * trees to the rows the main thread hands over in shared buffers.
 */
import { parentPort } from "node:worker_threads";
import { compileTreeKernel, type TreeKernel } from "../branch-free/branch-free-kernel.js";
import type { FromScoringWorker, ToScoringWorker } from "./scoring-messages.js";

const port = parentPort;
if (!port) throw new Error("scoring-worker runs only as a worker thread");
const post = (message: FromScoringWorker) => port.postMessage(message);

const kernels = new Map<number, TreeKernel>();
const none = new SharedArrayBuffer(0);
let input32 = new Float32Array(none);
let input64 = new Float64Array(none);
let output = new Float64Array(none);

port.on("message", (message: ToScoringWorker) => {
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
    case "score": {
      const kernel = kernels.get(message.key);
      if (!kernel) {
        post({ kind: "failed", call: message.call, message: `no model ${message.key}` });
        break;
      }
      try {
        const m = message.float32 ? input32 : input64;
        kernel(m, message.rows, message.stride, message.width, output);
        post({ kind: "scored", call: message.call });
      } catch (error) {
        post({ kind: "failed", call: message.call, message: String(error) });
      }
      break;
    }
  }
});
post({ kind: "ready" });
