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
    // A flush allocates tens of MB of short-lived records (a 15,000-event flush ~75 MB): a
    // young generation that holds most of a flush scavenges less often and copies and
    // promotes fewer of the flush's live objects. 96 MB took ~7% off the processor bench's
    // CPU per event against the default; 384 MB (semi-spaces grow to it only under such
    // load) another ~10% off the whole process on `bench/ingest-main-thread.ts`, mostly in
    // V8's parallel GC helper threads (5 interleaved pairs, commit message).
    resourceLimits: { maxYoungGenerationSizeMb: 384 },
  };
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const tsxPackage = createRequire(import.meta.url).resolve("tsx/package.json");
  const tsxApi = pathToFileURL(join(dirname(tsxPackage), "dist/esm/api/index.mjs")).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/** An apply the worker has not answered yet. */
interface PendingApply {
  resolve: () => void;
  reject: (error: Error) => void;
  onWritten: (() => void) | undefined;
}

/** One running worker and the applies it has not answered yet. */
interface WorkerHandle {
  worker: Worker;
  pending: Map<number, PendingApply>;
  /** Set once the thread is gone: a new one is started for the next apply. */
  dead: boolean;
  onClosed: (() => void) | null;
}

type Logger = { warn(details: object, message: string): void };

/** Starts a worker and resolves once its store is open. */
function spawn(data: StreamWorkerData, logger: Logger | undefined): Promise<WorkerHandle> {
  const handle: WorkerHandle = {
    worker: startWorker(data),
    pending: new Map(),
    dead: false,
    onClosed: null,
  };
  const fail = (reason: string) => {
    handle.dead = true;
    const error = new StoreError("unavailable", `stream worker stopped: ${reason}`);
    for (const { reject } of handle.pending.values()) reject(error);
    handle.pending.clear();
  };
  return new Promise<WorkerHandle>((resolve, reject) => {
    handle.worker.on("message", (message: FromStreamWorker) => {
      switch (message.kind) {
        case "ready":
          resolve(handle);
          break;
        case "written":
          handle.pending.get(message.id)?.onWritten?.();
          break;
        case "applied":
          handle.pending.get(message.id)?.resolve();
          handle.pending.delete(message.id);
          break;
        case "failed": {
          const error =
            message.code === null
              ? new Error(message.message)
              : new StoreError(message.code, message.message);
          handle.pending.get(message.id)?.reject(error);
          handle.pending.delete(message.id);
          break;
        }
        case "warn":
          logger?.warn(message.details, message.message);
          break;
        case "closed":
          handle.onClosed?.();
          break;
      }
    });
    handle.worker.on("error", (error) => {
      logger?.warn({ err: String(error) }, "stream worker failed; the next batch starts a new one");
      fail(error.message);
      reject(error);
    });
    handle.worker.on("exit", (code) => {
      fail(`exited with code ${code}`);
      reject(new Error(`stream worker exited with code ${code} before it was ready`));
    });
  });
}

/**
 * The stream processor on a worker thread: the main thread validates, logs
 * and acknowledges deliveries while the worker aggregates and writes the
 * features, so the two halves of ingestion use both cores. The worker opens
 * its own store on the same configuration (LMDB: the same environment;
 * lmdb-js shares it between threads). `apply` calls `onWritten` once the
 * worker's transaction holds the batch's writes, resolves once they are
 * durable and rejects with the worker's `StoreError` code, exactly as the
 * in-thread processor does; the worker takes a batch sent before the last
 * one is durable, and its transaction runs while that one is flushed. A worker that dies fails its batches as
 * `unavailable` (the applier retries them; a batch whose writes had
 * committed is applied again, the same window as a crash before the mark)
 * and the next batch starts a new worker.
 *
 * @example
 * const processor = await createThreadedStreamProcessor({ store: config.store, region: "eu" });
 * await processor.apply(events);
 * await processor.close();
 */
export async function createThreadedStreamProcessor(
  data: StreamWorkerData,
  logger?: Logger,
): Promise<ThreadedStreamProcessor> {
  let current = await spawn(data, logger);
  let starting: Promise<WorkerHandle> | null = null;
  let closed = false;
  let nextId = 0;

  /** The live worker, or a new one if the last one died. */
  async function live(): Promise<WorkerHandle> {
    if (!current.dead) return current;
    starting ??= spawn({ ...data, exitOnFirstApply: false }, logger).finally(() => {
      starting = null;
    });
    current = await starting;
    return current;
  }

  return {
    async apply(
      events: readonly AcceptedEvent[],
      serialized?: readonly string[],
      onWritten?: () => void,
    ): Promise<void> {
      if (events.length === 0) return;
      if (closed) throw new StoreError("unavailable", "the stream processor is closed");
      const handle = await live().catch((error: unknown) => {
        throw new StoreError("unavailable", `stream worker did not start: ${String(error)}`);
      });
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        handle.pending.set(id, { resolve, reject, onWritten });
        const message: ToStreamWorker = {
          kind: "apply",
          id,
          events: serialized ?? [JSON.stringify(events)],
        };
        handle.worker.postMessage(message);
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const handle = current;
      if (handle.dead) return;
      await new Promise<void>((resolve) => {
        handle.onClosed = resolve;
        // Exiting first (a crash while closing) also ends the wait.
        handle.worker.once("exit", () => resolve());
        const message: ToStreamWorker = { kind: "close" };
        handle.worker.postMessage(message);
      });
      await handle.worker.terminate();
    },
  };
}
