/**
 * `npx tsx bench/ingest-main-thread.ts`: the main thread's share of event
 * ingestion on LMDB (validation, in-flight bookkeeping, the event log's
 * claim and mark, the applier) with the stream processor left out, so the
 * numbers are the main thread's alone. Prints one line: events/s
 * acknowledged, the main thread's CPU µs per event (Linux per-thread
 * accounting: stable on a busy box) and its busy µs per event (event-loop
 * utilisation: includes waiting for a core), both less the time spent
 * parsing the feed, and process CPU µs per event (all threads: lmdb-js's
 * write thread commits the log's transactions, GC helpers, the worker).
 * `BATCH` (500), `SENDERS` (4), `TOTAL` events (200,000),
 * `PROCESSOR=noop|worker` (noop: apply resolves at once; worker: the real
 * threaded processor, whose CPU then counts in the process figure).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AcceptedEvent } from "#shared/api/events";
import { loadOriginConfig } from "../origin/src/config/origin-config.js";
import { createEventIngestion } from "../origin/src/events/event-ingestion.js";
import { createEventLog } from "../origin/src/events/event-log.js";
import { openEventLogStore } from "../origin/src/events/event-log-store.js";
import type { StreamProcessor } from "../origin/src/stream/stream-processor-port.js";
import { createThreadedStreamProcessor } from "../origin/src/stream/threaded-stream-processor.js";
import { onlineRetailEvents } from "./lib/online-retail-events.js";
import { mainThreadCpuMs } from "./lib/thread-cpu.js";

const BATCH = Number(process.env.BATCH ?? 500);
const SENDERS = Number(process.env.SENDERS ?? 4);
const TOTAL = Number(process.env.TOTAL ?? 200_000);
const PROCESSOR = process.env.PROCESSOR ?? "noop";
const REGION = "uk";
/** Warm-up batches per sender, not measured (JIT, the log's first pages). */
const WARMUP_BATCHES = 20;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "reco-ingest-main-"));
  const config = loadOriginConfig({
    STORE: "lmdb",
    LMDB_PATH: join(dir, "db"),
    ORIGIN_SIGNING_SECRET: "bench-ingest-main-thread-secret",
  }).store;
  if (config.kind !== "lmdb") throw new Error("expected an LMDB store config");
  const events = onlineRetailEvents({
    prefix: `b${Date.now().toString(36)}`,
    now: Date.now(),
    region: REGION,
    maxRows: Math.ceil((TOTAL + WARMUP_BATCHES * SENDERS * BATCH) / 2.5),
  });
  // Held as JSON and parsed per batch, as the HTTP route parses a body (and as the events suite
  // does): a few hundred thousand live objects would slow every garbage collection measured.
  const chunks: string[] = [];
  for (let at = 0; at + BATCH <= events.length; at += BATCH) {
    chunks.push(JSON.stringify(events.slice(at, at + BATCH)));
  }
  events.length = 0;
  // On LMDB the log has an environment of its own and ignores the features' store.
  const logStore = openEventLogStore(config, undefined as never);
  const log = createEventLog(logStore, config.namespace, 3600, REGION);
  const processor: StreamProcessor =
    PROCESSOR === "worker"
      ? await createThreadedStreamProcessor({ store: config, region: REGION })
      : { apply: async () => {} };
  const ingestion = createEventIngestion({
    log,
    processor,
    region: REGION,
    dedupeWindowSeconds: 3600,
  });
  let next = 0;
  let parseMs = 0;
  const take = (): AcceptedEvent[] | undefined => {
    const chunk = chunks[next++];
    if (chunk === undefined) return undefined;
    const t0 = performance.now();
    const batch = JSON.parse(chunk) as AcceptedEvent[];
    parseMs += performance.now() - t0;
    return batch;
  };
  const sender = async (batches: number) => {
    for (let i = 0; i < batches; i++) {
      const batch = take();
      if (!batch) return;
      await ingestion.ingest(batch);
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, () => sender(WARMUP_BATCHES)));
  await ingestion.idle();
  const measured = chunks.length - next;
  parseMs = 0;
  const cpu = process.cpuUsage();
  const threadCpu = mainThreadCpuMs();
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  await Promise.all(Array.from({ length: SENDERS }, () => sender(Number.POSITIVE_INFINITY)));
  await ingestion.idle();
  const ms = performance.now() - started;
  const busyMs = performance.eventLoopUtilization(elu).active - parseMs;
  const used = process.cpuUsage(cpu);
  const threadCpuAfter = mainThreadCpuMs();
  const threadMs =
    threadCpu === undefined || threadCpuAfter === undefined
      ? undefined
      : threadCpuAfter - threadCpu - parseMs;
  const count = measured * BATCH;
  await ingestion.stop();
  await logStore.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `ingest main thread, ${BATCH}/batch, ${SENDERS} senders, processor ${PROCESSOR}: ` +
      `${Math.round(count / (ms / 1000))} events/s, main thread CPU ` +
      `${threadMs === undefined ? "n/a" : ((threadMs * 1000) / count).toFixed(2)} µs/event, busy ` +
      `${((busyMs * 1000) / count).toFixed(2)} µs/event (feed parse ${((parseMs * 1000) / count).toFixed(2)} µs/event left out), ` +
      `process CPU ${(((used.user + used.system) / count) * 1).toFixed(2)} µs/event`,
  );
}

await main();
