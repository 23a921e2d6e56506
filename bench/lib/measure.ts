import * as hdr from "hdr-histogram-js";

export interface Measurement {
  suite: string;
  target: string;
  op: string;
  /** `adapter` is our code; `raw` the underlying library doing the same work (the baseline). */
  impl: "adapter" | "raw";
  concurrency: number;
  n: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /**
   * Process CPU time (all threads: GC helpers, lmdb-js) per operation, µs.
   * On a busy shared box latency percentiles include time spent waiting for
   * a core; this does not, so it compares runs made under different loads.
   */
  cpuUsPerOp: number;
}

export interface MeasureOptions {
  /** Closed-loop callers running at once. */
  concurrency: number;
  /** Stop after this long... */
  durationMs: number;
  /** ...or this many operations, whichever comes first. */
  maxOps: number;
  /** Unrecorded operations first, so JIT and connection pools are warm. */
  warmupOps: number;
}

type Histogram = ReturnType<typeof hdr.build>;

function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** Runs `op` closed-loop from `concurrency` callers for up to `durationMs`; returns elapsed ns. */
async function runLoop(
  op: (i: number) => Promise<unknown>,
  histogram: Histogram,
  options: MeasureOptions,
  durationMs: number,
  counter: { issued: number; cpuUs: number },
): Promise<number> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(durationMs * 1_000_000));
  const worker = async () => {
    while (counter.issued < options.maxOps) {
      const i = counter.issued++;
      const t0 = process.hrtime.bigint();
      await op(i);
      const t1 = process.hrtime.bigint();
      histogram.recordValue(Number(t1 - t0));
      if (t1 > deadline) break;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = Number(process.hrtime.bigint() - started);
  const used = process.cpuUsage(cpu);
  counter.cpuUs += used.user + used.system;
  return elapsed;
}

function summarize(
  label: Pick<Measurement, "suite" | "target" | "op" | "impl">,
  histogram: Histogram,
  elapsedNs: number,
  concurrency: number,
  cpuUs: number,
): Measurement {
  const us = (ns: number) => Math.round(ns / 10) / 100;
  const result: Measurement = {
    ...label,
    concurrency,
    n: histogram.totalCount,
    opsPerSec: Math.round((histogram.totalCount / elapsedNs) * 1e9),
    p50Us: us(histogram.getValueAtPercentile(50)),
    p99Us: us(histogram.getValueAtPercentile(99)),
    p999Us: us(histogram.getValueAtPercentile(99.9)),
    maxUs: us(histogram.maxValue),
    cpuUsPerOp: Math.round((cpuUs / Math.max(1, histogram.totalCount)) * 10) / 10,
  };
  histogram.destroy();
  return result;
}

/**
 * Runs `op` from `concurrency` closed-loop callers and records each call's
 * latency in an HDR histogram (ns resolution, 3 significant digits).
 */
export async function measure(
  label: Pick<Measurement, "suite" | "target" | "op" | "impl">,
  op: (i: number) => Promise<unknown>,
  options: MeasureOptions,
): Promise<Measurement> {
  for (let i = 0; i < options.warmupOps; i++) await op(i);
  const histogram = newHistogram();
  const counter = { issued: 0, cpuUs: 0 };
  const elapsed = await runLoop(op, histogram, options, options.durationMs, counter);
  return summarize(label, histogram, elapsed, options.concurrency, counter.cpuUs);
}

/** How many alternating slices `measurePair` splits its time into. */
const PAIR_ROUNDS = 6;

/**
 * Measures our adapter and the raw library doing the same work in
 * alternating slices, so background work (GC, server housekeeping, the other
 * core) falls on both alike and the ratio between them is fair.
 */
export function measurePair(
  label: Pick<Measurement, "suite" | "target" | "op">,
  adapter: (i: number) => Promise<unknown>,
  raw: (i: number) => Promise<unknown>,
  options: MeasureOptions,
): Promise<Measurement[]> {
  return measureAlternating(
    [
      { label: { ...label, impl: "adapter" }, op: adapter },
      { label: { ...label, impl: "raw" }, op: raw },
    ],
    options,
  );
}

/**
 * Measures several operations in alternating slices (each side's order
 * rotating per round), so load drift on a shared box falls on all alike:
 * `measurePair` for more than two sides (e.g. a floor beneath the floor).
 */
export async function measureAlternating(
  sides: readonly {
    label: Pick<Measurement, "suite" | "target" | "op" | "impl">;
    op: (i: number) => Promise<unknown>;
  }[],
  options: MeasureOptions,
): Promise<Measurement[]> {
  for (let i = 0; i < options.warmupOps; i++) {
    for (const side of sides) await side.op(i);
  }
  const running = sides.map((side) => ({
    ...side,
    histogram: newHistogram(),
    elapsed: 0,
    counter: { issued: 0, cpuUs: 0 },
  }));
  const slice = options.durationMs / PAIR_ROUNDS;
  for (let round = 0; round < PAIR_ROUNDS; round++) {
    // Rotate which side goes first, so none always follows another.
    const order = running.map(
      (_, i) => running[(i + round) % running.length] as (typeof running)[number],
    );
    for (const side of order)
      side.elapsed += await runLoop(side.op, side.histogram, options, slice, side.counter);
  }
  return running.map((side) =>
    summarize(side.label, side.histogram, side.elapsed, options.concurrency, side.counter.cpuUs),
  );
}
