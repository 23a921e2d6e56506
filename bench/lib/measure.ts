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
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let issued = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(options.durationMs) * 1_000_000n;
  const worker = async () => {
    while (issued < options.maxOps) {
      const i = issued++;
      const t0 = process.hrtime.bigint();
      await op(i);
      const t1 = process.hrtime.bigint();
      histogram.recordValue(Number(t1 - t0));
      if (t1 > deadline) break;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const us = (ns: number) => Math.round(ns / 10) / 100;
  const result: Measurement = {
    ...label,
    concurrency: options.concurrency,
    n: histogram.totalCount,
    opsPerSec: Math.round((histogram.totalCount / elapsedNs) * 1e9),
    p50Us: us(histogram.getValueAtPercentile(50)),
    p99Us: us(histogram.getValueAtPercentile(99)),
    p999Us: us(histogram.getValueAtPercentile(99.9)),
    maxUs: us(histogram.maxValue),
  };
  histogram.destroy();
  return result;
}
