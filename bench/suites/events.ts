import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AcceptedEvent, InternalEventsResponse } from "#shared/api/events";
import { signRequest } from "#shared/security/request-signing";
import { loadOriginConfig, type OriginConfig } from "../../origin/src/config/origin-config.js";
import { createEventIngestion } from "../../origin/src/events/event-ingestion.js";
import { createEventLog } from "../../origin/src/events/event-log.js";
import { openEventLogStore } from "../../origin/src/events/event-log-store.js";
import { featureRecordKey, WRITTEN_AT_BIN } from "../../origin/src/features/layout.js";
import { startOrigin } from "../../origin/src/start-origin.js";
import { createStore } from "../../origin/src/store/create-store.js";
import type { StorePort } from "../../origin/src/store/port.js";
import { createStreamProcessor } from "../../origin/src/stream/stream-processor.js";
import type { StreamProcessor } from "../../origin/src/stream/stream-processor-port.js";
import { createThreadedStreamProcessor } from "../../origin/src/stream/threaded-stream-processor.js";
import { type Measurement, type MeasureOptions, measure } from "../lib/measure.js";
import { onlineRetailEvents } from "../lib/online-retail-events.js";
import { mainThreadCpuMs } from "../lib/thread-cpu.js";

const REGION = "uk";
const SECRET = "bench-events-signing-secret";
/** The bench's events are re-timed into the last minutes; an hour of dedupe keeps Aerospike's namespace small. */
const DEDUPE_WINDOW_SECONDS = 3600;
/** Rows of the CSV to turn into events (all 541,909: ~1.6M events, enough fresh ones for every 5 s row). */
const CSV_ROWS = Number(process.env.BENCH_EVENTS_ROWS ?? 541_909);
/** Concurrent senders: a few queue consumer invocations delivering at once. */
const SENDERS = 4;

/** Events per stored chunk of the feed: every batch size measured is a multiple of it. */
const FEED_CHUNK = 100;

/**
 * Fresh events for each batch: an event is ingested once, or it would measure
 * the duplicate path. Held as JSON text, 100 events per string, and parsed
 * when a batch is taken (as the HTTP route parses a delivery's body): ~900k
 * live event objects would make every garbage collection of the measured
 * code trace a few hundred MB that a real origin never holds. Past the last
 * chunk the feed starts again with the ids suffixed by the lap (`-l1`, ...):
 * the rows' 5 s at 45,000 events/s took the whole CSV (1.6M events) and the
 * last row's warm-up then posted empty batches (400). The times stay those of
 * the first lap, well inside the dedupe window.
 */
class EventFeed {
  private readonly chunks: string[] = [];
  private next = 0;
  private lap = 0;
  constructor(events: readonly AcceptedEvent[]) {
    for (let at = 0; at + FEED_CHUNK <= events.length; at += FEED_CHUNK) {
      this.chunks.push(JSON.stringify(events.slice(at, at + FEED_CHUNK)));
    }
    if (this.chunks.length === 0) throw new Error(`the feed needs at least ${FEED_CHUNK} events`);
  }
  batch(size: number): AcceptedEvent[] {
    const out: AcceptedEvent[] = [];
    while (out.length < size) {
      if (this.next === this.chunks.length) {
        this.next = 0;
        this.lap++;
      }
      const events = JSON.parse(this.chunks[this.next++] as string) as AcceptedEvent[];
      for (const event of events) {
        if (this.lap > 0) event.id = `${event.id}-l${this.lap}`;
        if (out.length < size) out.push(event);
      }
    }
    return out;
  }
}

/**
 * Throughput rows run at least 5 s after ~5,000 warm-up events: a 2 s row
 * held ~10 flushes, so the worker's JIT warm-up, the flush sizing's first
 * guesses and the drain at the end (up to two flushes) swung it by a quarter.
 */
const MIN_THROUGHPUT_MS = 5_000;
const WARMUP_EVENTS = 5_000;

function options(base: MeasureOptions, batch: number): MeasureOptions {
  const warmupOps = Math.max(2, Math.ceil(WARMUP_EVENTS / batch));
  return {
    ...base,
    durationMs: Math.max(base.durationMs, MIN_THROUGHPUT_MS),
    concurrency: SENDERS,
    warmupOps,
    maxOps: Number.POSITIVE_INFINITY,
  };
}

type Label = Pick<Measurement, "suite" | "target" | "op" | "impl">;

/**
 * Measures `ingest` on fresh batches of `batch` events; `opsPerSec` is
 * events/s over the measured calls (not batches/s), latencies stay per batch.
 */
async function measureEvents(
  label: Label,
  batch: number,
  feed: EventFeed,
  base: MeasureOptions,
  ingest: (events: AcceptedEvent[]) => Promise<unknown>,
  /** Write-behind: waits until everything acknowledged is applied; adds an "applied" row. */
  drain?: () => Promise<void>,
): Promise<Measurement[]> {
  const opts = options(base, batch);
  let calls = 0;
  let first = 0;
  let last = 0;
  let cpuAtFirst = process.cpuUsage();
  let eluAtFirst = performance.eventLoopUtilization();
  let threadCpuAtFirst = mainThreadCpuMs();
  const m = await measure(
    label,
    async () => {
      const measured = ++calls > opts.warmupOps;
      if (measured && first === 0) {
        first = performance.now();
        cpuAtFirst = process.cpuUsage();
        eluAtFirst = performance.eventLoopUtilization();
        threadCpuAtFirst = mainThreadCpuMs();
      }
      await ingest(feed.batch(batch));
      if (measured) last = performance.now();
    },
    opts,
  );
  const events = (calls - opts.warmupOps) * batch;
  const acked = { ...m, opsPerSec: Math.round(events / ((last - first) / 1000)) };
  if (!drain) return [acked];
  await drain();
  const drained = performance.now();
  const cpu = process.cpuUsage(cpuAtFirst);
  // The main thread's busy wall time (validation, the event log, handing batches to the worker);
  // on a loaded box it includes waiting for a core, so compare it between runs, not with CPU.
  const mainBusyMs = performance.eventLoopUtilization(eluAtFirst).active;
  // The main thread's own CPU: leaves out waiting for a core, so it compares runs on a busy box.
  const threadCpuNow = mainThreadCpuMs();
  const mainCpu =
    threadCpuAtFirst === undefined || threadCpuNow === undefined
      ? ""
      : ` (CPU ${(((threadCpuNow - threadCpuAtFirst) * 1000) / events).toFixed(1)} µs)`;
  // CPU of the whole process (main and worker threads): comparable across runs on a busy box.
  console.log(
    `events: ${label.target} ${label.op}: ${Math.round(events / ((cpu.user + cpu.system) / 1e6))} ` +
      `events applied per CPU-second of this process; main thread busy ${((mainBusyMs * 1000) / events).toFixed(1)} µs per event${mainCpu}`,
  );
  return [
    { ...acked, op: `${label.op} acknowledged` },
    {
      ...acked,
      op: `${label.op} applied (until drained)`,
      opsPerSec: Math.round(events / ((drained - first) / 1000)),
    },
  ];
}

/**
 * When each event was acknowledged and when the processor's apply holding
 * it resolved (its features written): the in-process rows' acknowledged ->
 * applied latency under a full backlog, where the applier's flush sizing
 * decides it (the 1 s visibility bound is about acknowledged events).
 * Watching the processor adds no reads to the store being measured.
 */
class AppliedLatency {
  private readonly sentAt = new Map<string, number>();
  private latencies: number[] = [];

  acknowledged(events: readonly AcceptedEvent[]): void {
    const now = performance.now();
    for (const event of events) this.sentAt.set(event.id, now);
  }

  wrap(processor: StreamProcessor): StreamProcessor {
    return {
      apply: async (events, serialized, onWritten) => {
        await processor.apply(events, serialized, onWritten);
        const now = performance.now();
        for (const event of events) {
          const sent = this.sentAt.get(event.id);
          if (sent === undefined) continue;
          this.latencies.push(now - sent);
          this.sentAt.delete(event.id);
        }
      },
      close: () => processor.close?.() ?? Promise.resolve(),
    };
  }

  /** A latency row (per event, acknowledged -> applied) of what was recorded since the last call. */
  take(label: Label): Measurement {
    const sorted = Float64Array.from(this.latencies).sort();
    this.latencies = [];
    this.sentAt.clear();
    const at = (p: number) =>
      Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 1000);
    return {
      ...label,
      concurrency: SENDERS,
      n: sorted.length,
      opsPerSec: 0,
      p50Us: at(0.5),
      p99Us: at(0.99),
      p999Us: at(0.999),
      maxUs: Math.round((sorted[sorted.length - 1] ?? 0) * 1000),
      cpuUsPerOp: 0,
    };
  }
}

/** The processor as `startOrigin` builds it: on a worker thread for LMDB, in-thread for Aerospike. */
async function originProcessor(
  store: StorePort,
  config: OriginConfig["store"],
): Promise<StreamProcessor> {
  if (config.kind === "lmdb")
    return createThreadedStreamProcessor({ store: config, region: REGION });
  return createStreamProcessor({ store, ns: config.namespace, region: REGION });
}

async function measureInProcess(
  store: StorePort,
  config: OriginConfig["store"],
  target: string,
  feed: EventFeed,
  base: MeasureOptions,
): Promise<Measurement[]> {
  const ns = config.namespace;
  // As `startOrigin` does: on LMDB the log has an environment (and write lock) of its own.
  const logStore = openEventLogStore(config, store);
  const log = createEventLog(logStore, ns, DEDUPE_WINDOW_SECONDS, REGION);
  const latency = new AppliedLatency();
  const ingestion = createEventIngestion({
    log,
    processor: latency.wrap(await originProcessor(store, config)),
    region: REGION,
    dedupeWindowSeconds: DEDUPE_WINDOW_SECONDS,
  });
  const label = { suite: "events", target, impl: "adapter" as const };
  const out: Measurement[] = [];
  try {
    for (const batch of [100, 500]) {
      out.push(
        ...(await measureEvents(
          { ...label, op: `ingest in-process, ${batch}/batch (ops = events)` },
          batch,
          feed,
          base,
          async (events) => {
            await ingestion.ingest(events);
            latency.acknowledged(events);
          },
          () => ingestion.idle(),
        )),
        latency.take({ ...label, op: `  acknowledged -> applied, ${batch}/batch (per event)` }),
      );
    }
  } finally {
    // Also closes the processor (its worker thread on LMDB).
    await ingestion.stop();
  }
  // Where the time goes: the two halves of ingestion on their own.
  const processor = await originProcessor(store, config);
  try {
    // 5,000 (one full flush) only on LMDB: 4 such batches at once exceed Aerospike's connection pool here.
    for (const batch of target === "lmdb" ? [500, 5_000] : [500]) {
      out.push(
        ...(await measureEvents(
          { ...label, op: `  of which processor.apply, ${batch}/batch` },
          batch,
          feed,
          base,
          (events) => processor.apply(events),
        )),
      );
    }
  } finally {
    await processor.close?.();
  }
  out.push(
    ...(await measureEvents(
      { ...label, op: "  of which event log claim+mark, 500/batch" },
      500,
      feed,
      base,
      async (events) => {
        const delivery = crypto.randomUUID();
        await log.claim(events, Date.now(), delivery);
        await log.markApplied([delivery]);
      },
    )),
  );
  if (logStore !== store) await logStore.close();
  return out;
}

async function measureHttp(
  env: Record<string, string>,
  target: string,
  feed: EventFeed,
  base: MeasureOptions,
): Promise<Measurement[]> {
  const origin = await startOrigin(
    loadOriginConfig({
      ...env,
      ORIGIN_PORT: "0",
      ORIGIN_SIGNING_SECRET: SECRET,
      REGION,
      EVENT_DEDUPE_WINDOW_SECONDS: String(DEDUPE_WINDOW_SECONDS),
      LOG_LEVEL: "warn",
    }),
  );
  const ns = loadOriginConfig({ ...env, ORIGIN_SIGNING_SECRET: SECRET }).store.namespace;
  const post = async (events: AcceptedEvent[]) => {
    const body = JSON.stringify({ events });
    const headers = await signRequest({
      method: "POST",
      pathWithQuery: "/internal/events",
      body,
      secret: SECRET,
    });
    const response = await fetch(`${origin.url}/internal/events`, {
      method: "POST",
      body,
      headers: { ...headers, "content-type": "application/json" },
    });
    if (response.status !== 200) throw new Error(`origin answered ${response.status}`);
    const result = InternalEventsResponse.parse(await response.json());
    if (result.applied !== events.length) throw new Error(`applied ${result.applied}`);
  };
  const label = { suite: "events", target, impl: "adapter" as const };
  try {
    const out: Measurement[] = [];
    for (const batch of [100, 500]) {
      out.push(
        ...(await measureEvents(
          { ...label, op: `POST /internal/events, ${batch}/batch (ops = events)` },
          batch,
          feed,
          base,
          post,
          () => origin.eventsApplied(),
        )),
      );
    }
    // POST to visible: the origin answers once the events are logged and writes the features
    // behind the answer, so this polls until a read sees them.
    const batch = 100;
    out.push(
      await measure(
        { ...label, op: `POST ${batch} -> feature visible (latency)` },
        async () => {
          const events = feed.batch(batch);
          const sentAt = Date.now();
          await post(events);
          // Visible = the last event's session record carries a write stamped after the POST began.
          const last = events[events.length - 1] as AcceptedEvent;
          for (;;) {
            const record = await origin.store.get(
              featureRecordKey(ns, "session", last.sessionId as string),
              [WRITTEN_AT_BIN],
            );
            const stamps = Object.values(record?.bins[WRITTEN_AT_BIN] ?? {}).map(Number);
            if (Math.max(...stamps) >= sentAt) break;
            if (Date.now() - sentAt > 5_000)
              throw new Error("feature not visible 5 s after the POST");
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        },
        options(base, batch),
      ),
    );
    return out;
  } finally {
    await origin.stop();
  }
}

/**
 * Event ingestion into real-time features (target ≥ 50,000 events/s on
 * LMDB): through the ingestion service in-process and through signed HTTP
 * `POST /internal/events` with 4 concurrent senders, on events derived from
 * the UCI Online Retail data set (bench/README.md).
 */
export async function eventsBench(
  base: MeasureOptions,
  aerospikeHosts: string | undefined,
): Promise<Measurement[]> {
  const prefix = `b${Date.now().toString(36)}`;
  const events = onlineRetailEvents({ prefix, now: Date.now(), region: REGION, maxRows: CSV_ROWS });
  console.log(`events: ${events.length} events from ${CSV_ROWS} rows of online-retail.csv`);
  const feed = new EventFeed(events);
  events.length = 0;
  const dir = mkdtempSync(join(tmpdir(), "reco-bench-events-"));
  const results: Measurement[] = [];
  try {
    const lmdbEnv = { STORE: "lmdb", LMDB_PATH: join(dir, "in-process") };
    const lmdbConfig = loadOriginConfig({ ...lmdbEnv, ORIGIN_SIGNING_SECRET: SECRET }).store;
    const lmdb = await createStore(lmdbConfig);
    try {
      results.push(...(await measureInProcess(lmdb, lmdbConfig, "lmdb", feed, base)));
    } finally {
      await lmdb.close();
    }
    results.push(
      ...(await measureHttp({ STORE: "lmdb", LMDB_PATH: join(dir, "http") }, "lmdb", feed, base)),
    );
    if (aerospikeHosts) {
      const env = {
        STORE: "aerospike",
        AEROSPIKE_HOSTS: aerospikeHosts,
        AEROSPIKE_NAMESPACE: process.env.AEROSPIKE_NAMESPACE ?? "test",
        // Throughput is measured: 5,000-event flushes read thousands of keys per batch on a busy box.
        AEROSPIKE_BATCH_TIMEOUT_MS: "5000",
      };
      const config = loadOriginConfig({ ...env, ORIGIN_SIGNING_SECRET: SECRET }).store;
      const aerospike = await createStore(config);
      try {
        results.push(...(await measureInProcess(aerospike, config, "aerospike", feed, base)));
      } finally {
        await aerospike.close();
      }
      results.push(...(await measureHttp(env, "aerospike", feed, base)));
    } else {
      console.log("events: Aerospike skipped (set AEROSPIKE_HOSTS=host:port)");
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
