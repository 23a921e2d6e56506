/**
 * Worker-thread entry of the threaded stream processor
 * (`threaded-stream-processor.ts`): opens its own store on the configuration
 * it is given (on LMDB the same environment as the main thread) and applies
 * the batches it is sent, one message per batch. Errors go back with their
 * `StoreError` code, so the ingestion layer treats them as before.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { AcceptedEvent } from "#shared/api/events";
import { LmdbStore } from "../store/lmdb/lmdb-store.js";
import { StoreError } from "../store/port.js";
import { createStreamProcessor } from "./stream-processor.js";
import type {
  FromStreamWorker,
  StreamWorkerData,
  ToStreamWorker,
} from "./stream-worker-messages.js";

const port = parentPort;
if (!port) throw new Error("stream-worker.ts runs as a worker thread");
const data = workerData as StreamWorkerData;
const post = (message: FromStreamWorker) => port.postMessage(message);

// LMDB only: the Aerospike client's native addon cannot load in a worker thread.
// Expired records are swept by the main thread's store: once a day here is only a fallback.
const store = new LmdbStore({
  path: data.store.path,
  sweepIntervalMs: 24 * 3600_000,
  readCacheRecords: data.store.readCacheRecords,
});
const processor = createStreamProcessor({
  store,
  ns: data.store.namespace,
  region: data.region,
  logger: { warn: (details, message) => post({ kind: "warn", details, message }) },
});

port.on("message", (message: ToStreamWorker) => {
  if (message.kind === "close") {
    void store.close().then(() => post({ kind: "closed" }));
    return;
  }
  if (data.exitOnFirstApply) process.exit(1);
  const { id } = message;
  const failed = (error: unknown) =>
    post({
      kind: "failed",
      id,
      code: error instanceof StoreError ? error.code : null,
      message: error instanceof Error ? error.message : String(error),
    });
  // Parsed here, not inside the apply's callbacks: they hold only the id, so the batch's
  // JSON text (~180 bytes an event) is garbage while its writes run. A batch that cannot
  // even be parsed fails alone, the thread lives on.
  let events: AcceptedEvent[];
  try {
    events = parseChunks(message.events);
  } catch (error) {
    failed(error);
    return;
  }
  processor
    .apply(events, undefined, () => post({ kind: "written", id }))
    .then(() => post({ kind: "applied", id }), failed);
});
post({ kind: "ready" });

/** The events of a message's JSON arrays, in order. */
function parseChunks(chunks: readonly string[]): AcceptedEvent[] {
  if (chunks.length === 1) return JSON.parse(chunks[0] as string) as AcceptedEvent[];
  const events: AcceptedEvent[] = [];
  for (const chunk of chunks) {
    for (const event of JSON.parse(chunk) as AcceptedEvent[]) events.push(event);
  }
  return events;
}
