/**
 * `npx tsx bench/stream-processor.ts [lmdb|aerospike]`: events/s of the stream
 * processor alone (no HTTP, no event log) on realistic batches, with several
 * batches in flight as the ingestion route would have. Prints one line.
 * `EVENTS=online-retail` replays the events suite's data (bench/README.md)
 * instead of the synthetic mix.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Aerospike from "aerospike";
import type { AcceptedEvent } from "#shared/api/events";
import { loadOriginConfig } from "../origin/src/config/origin-config.js";
import { AerospikeStore } from "../origin/src/store/aerospike/aerospike-store.js";
import { LmdbStore } from "../origin/src/store/lmdb/lmdb-store.js";
import type { StorePort } from "../origin/src/store/port.js";
import { createStreamProcessor } from "../origin/src/stream/stream-processor.js";
import { onlineRetailEvents } from "./lib/online-retail-events.js";
import { shopperEvents } from "./lib/shopper-events.js";

const BATCH = Number(process.env.BATCH ?? 500);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 4);
const TOTAL = Number(process.env.TOTAL ?? 200_000);
const EVENTS = process.env.EVENTS ?? "synthetic";

async function open(kind: string): Promise<{ store: StorePort; ns: string; done: () => void }> {
  if (kind === "aerospike") {
    const config = loadOriginConfig({
      STORE: "aerospike",
      AEROSPIKE_HOSTS: process.env.AEROSPIKE_HOSTS ?? "127.0.0.1:3000",
      AEROSPIKE_NAMESPACE: process.env.AEROSPIKE_NAMESPACE,
      ORIGIN_SIGNING_SECRET: "stream-bench-secret-0123",
      // Throughput, not latency, is measured: a busy 2-core box must not fail a batch.
      AEROSPIKE_READ_TIMEOUT_MS: "5000",
      AEROSPIKE_BATCH_TIMEOUT_MS: "5000",
      AEROSPIKE_WRITE_TIMEOUT_MS: "5000",
    }).store;
    if (config.kind !== "aerospike") throw new Error("expected aerospike config");
    return { store: await AerospikeStore.connect(config), ns: config.namespace, done: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), "reco-stream-bench-"));
  return {
    store: new LmdbStore({ path: join(dir, "db") }),
    ns: "bench",
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The events suite's events (~3 per CSV row), served in order. */
function retail(prefix: string): (count: number) => AcceptedEvent[] {
  const events = onlineRetailEvents({
    prefix,
    now: Date.now(),
    region: "eu",
    maxRows: Math.ceil((TOTAL + BATCH) / 2.5),
  });
  let at = 0;
  return (count) => {
    const out = events.slice(at, at + count);
    at += out.length;
    return out;
  };
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? "lmdb";
  const { store, ns, done } = await open(kind);
  const prefix = `b${Date.now().toString(36)}`;
  const next =
    EVENTS === "online-retail"
      ? retail(prefix)
      : shopperEvents({
          users: 3_000,
          sessions: 5_000,
          items: 5_000,
          categories: 50,
          regions: ["eu", "us"],
          startTs: Date.now() - TOTAL,
          prefix,
        });
  const processor = createStreamProcessor({ store, ns, region: "eu" });
  // Warm-up: caches, JIT, first records.
  await processor.apply(next(BATCH));
  const batches = Array.from({ length: Math.ceil(TOTAL / BATCH) }, () => next(BATCH)).filter(
    (batch) => batch.length === BATCH,
  );
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let index = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (index < batches.length) {
        const batch = batches[index++];
        if (batch) await processor.apply(batch);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // CPU seconds of this process (all its threads): less sensitive than wall time to a busy box.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const events = batches.length * BATCH;
  console.log(
    `${kind}: ${events} events in ${seconds.toFixed(2)} s = ${Math.round(events / seconds)} events/s ` +
      `(batch ${BATCH}, ${IN_FLIGHT} in flight); ${Math.round(events / cpuSeconds)} events per CPU-second of this process`,
  );
  await store.close();
  done();
  if (kind === "aerospike") Aerospike.releaseEventLoop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
