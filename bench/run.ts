/**
 * `npm run bench [suite...]`: runs the benchmark suites, prints one table and
 * writes `bench/results/<suite>.json`. Numbers are measured here, never
 * asserted in tests. Suites: store, features, events, scoring, rank, edge (add more as issues land).
 */
import Aerospike from "aerospike";
import type { Measurement, MeasureOptions } from "./lib/measure.js";
import { printTable, ratios, writeResults } from "./lib/report.js";
import { edgeSuite } from "./suites/edge.js";
import { eventsBench } from "./suites/events.js";
import { aerospikeFeaturesBench, lmdbFeaturesBench } from "./suites/features.js";
import { rankSuite } from "./suites/rank.js";
import { scoringSuite } from "./suites/scoring.js";
import { aerospikeStoreBench, lmdbStoreBench } from "./suites/store.js";

// 2 s per measurement keeps a full run short on 2 cores while giving >1,000 samples per op.
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 2_000);
const latency: MeasureOptions = { concurrency: 1, durationMs, maxOps: 1_000_000, warmupOps: 200 };
const loaded: MeasureOptions = { ...latency, concurrency: 32 };

const suites: Record<string, () => Promise<Measurement[]>> = {
  store: async () => {
    const results = [...(await lmdbStoreBench(latency)), ...(await lmdbStoreBench(loaded))];
    const hosts = process.env.AEROSPIKE_HOSTS;
    if (hosts) {
      results.push(
        ...(await aerospikeStoreBench(hosts, latency)),
        ...(await aerospikeStoreBench(hosts, loaded)),
      );
    } else {
      console.log(
        "store: Aerospike skipped (set AEROSPIKE_HOSTS=host:port to measure it and the raw client)",
      );
    }
    return results;
  },
  features: async () => {
    const results = await lmdbFeaturesBench(latency);
    const hosts = process.env.AEROSPIKE_HOSTS;
    if (hosts) results.push(...(await aerospikeFeaturesBench(hosts, latency)));
    else console.log("features: Aerospike skipped (set AEROSPIKE_HOSTS=host:port)");
    return results;
  },
  events: () => eventsBench(latency, process.env.AEROSPIKE_HOSTS),
  scoring: () => scoringSuite(latency),
  rank: () => rankSuite(latency, process.env.AEROSPIKE_HOSTS),
  edge: () => edgeSuite(latency),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const names = wanted.length > 0 ? wanted : Object.keys(suites);
  for (const name of names) {
    const suite = suites[name];
    if (!suite)
      throw new Error(`unknown suite "${name}"; known: ${Object.keys(suites).join(", ")}`);
    console.log(`\n== ${name} ==`);
    const measurements = await suite();
    const pairs = ratios(measurements);
    printTable(measurements, pairs);
    console.log(`wrote ${writeResults(name, measurements, pairs)}`);
  }
  // The Aerospike client holds the event loop open until released.
  Aerospike.releaseEventLoop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
