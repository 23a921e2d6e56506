import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { AcceptedEvent } from "#shared/api/events";
import { StoreError } from "../store/port.js";
import type { StreamProcessor } from "./stream-processor-port.js";
import type {
  FromStreamWorker,
  StreamWorkerData,
  ToStreamWorker,
} from "./stream-worker-messages.js";

export interface ThreadedStreamProcessor extends StreamProcessor {
  /** Closes the worker's store and ends the thread (after the last `apply`). */
  close(): Promise<void>;
}

/**
 * The worker entry, started through tsx's loader when this module runs as
 * TypeScript (dev, tests, `npm run origin`); a compiled build starts the .js.
 */
function startWorker(data: StreamWorkerData): Worker {
  const entry = new URL(
    import.meta.url.endsWith(".ts") ? "./stream-worker.ts" : "./stream-worker.js",
    import.meta.url,
  );
  const options = {
    workerData: data,
    // A flush allocates tens of MB of short-lived records: a larger young generation
    // scavenges less often and promotes less (the processor bench with 32 MB semi-spaces,
    // the same size: ~7% less CPU per event).
    resourceLimits: { maxYoungGenerationSizeMb: 96 },
  };
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const tsxPackage = createRequire(import.meta.url).resolve("tsx/package.json");
  const tsxApi = pathToFileURL(join(dirname(tsxPackage), "dist/esm/api/index.mjs")).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * The stream processor on a worker thread: the main thread validates, logs
 * and acknowledges deliveries while the worker aggregates and writes the
 * features, so the two halves of ingestion use both cores. The worker opens
 * its own store on the same configuration (LMDB: the same environment;
 * lmdb-js shares it between threads). `apply` resolves once the worker's
 * writes are durable and rejects with the worker's `StoreError` code, exactly
 * as the in-thread processor does.
 *
 * @example
 * const processor = await createThreadedStreamProcessor({ store: config.store, region: "eu" });
 * await processor.apply(events);
 * await processor.close();
 */
export async function createThreadedStreamProcessor(
  data: StreamWorkerData,
  logger?: { warn(details: object, message: string): void },
): Promise<ThreadedStreamProcessor> {
  const worker = startWorker(data);
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let closed: (() => void) | null = null;
  let broken: Error | null = null;
  const send = (message: ToStreamWorker) => worker.postMessage(message);

  const fail = (error: Error) => {
    broken ??= new StoreError("unavailable", `stream worker stopped: ${error.message}`);
    for (const { reject } of pending.values()) reject(broken);
    pending.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (message: FromStreamWorker) => {
      switch (message.kind) {
        case "ready":
          resolve();
          break;
        case "applied":
          pending.get(message.id)?.resolve();
          pending.delete(message.id);
          break;
        case "failed": {
          const error =
            message.code === null
              ? new Error(message.message)
              : new StoreError(message.code, message.message);
          pending.get(message.id)?.reject(error);
          pending.delete(message.id);
          break;
        }
        case "warn":
          logger?.warn(message.details, message.message);
          break;
        case "closed":
          closed?.();
          break;
      }
    });
    worker.on("error", (error) => {
      fail(error);
      reject(error);
    });
    worker.on("exit", (code) => fail(new Error(`exited with code ${code}`)));
  });

  return {
    apply(events: readonly AcceptedEvent[]): Promise<void> {
      if (events.length === 0) return Promise.resolve();
      if (broken) return Promise.reject(broken);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ kind: "apply", id, events: JSON.stringify(events) });
      });
    },
    async close(): Promise<void> {
      if (broken) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        send({ kind: "close" });
      });
      broken = new StoreError("unavailable", "the stream processor is closed");
      await worker.terminate();
    },
  };
}
