import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { Measurement } from "./measure.js";

export interface Ratio {
  suite: string;
  target: string;
  op: string;
  concurrency: number;
  /** adapter p50 / raw p50 (1.0 = no overhead). */
  p50Ratio: number;
  p99Ratio: number;
  /** raw ops/s / adapter ops/s (1.0 = no overhead). */
  throughputRatio: number;
}

/** Pairs each adapter measurement with the raw one of the same op. */
export function ratios(measurements: readonly Measurement[]): Ratio[] {
  const out: Ratio[] = [];
  for (const adapter of measurements.filter((m) => m.impl === "adapter")) {
    const raw = measurements.find(
      (m) =>
        m.impl === "raw" &&
        m.suite === adapter.suite &&
        m.target === adapter.target &&
        m.op === adapter.op &&
        m.concurrency === adapter.concurrency,
    );
    if (!raw) continue;
    const round = (x: number) => Math.round(x * 100) / 100;
    out.push({
      suite: adapter.suite,
      target: adapter.target,
      op: adapter.op,
      concurrency: adapter.concurrency,
      p50Ratio: round(adapter.p50Us / raw.p50Us),
      p99Ratio: round(adapter.p99Us / raw.p99Us),
      throughputRatio: round(raw.opsPerSec / adapter.opsPerSec),
    });
  }
  return out;
}

function pad(value: string | number, width: number): string {
  const text = String(value);
  return typeof value === "number" ? text.padStart(width) : text.padEnd(width);
}

/** Prints the table to stdout. */
export function printTable(measurements: readonly Measurement[], pairs: readonly Ratio[]): void {
  const header = [
    "suite",
    "target",
    "op",
    "impl",
    "conc",
    "n",
    "ops/s",
    "p50 µs",
    "p99 µs",
    "p99.9 µs",
    "cpu µs/op",
  ];
  const widths = [8, 10, 28, 8, 5, 8, 10, 9, 9, 9, 9];
  const line = (cells: (string | number)[]) =>
    cells.map((c, i) => pad(c, widths[i] ?? 8)).join("  ");
  console.log(line(header));
  for (const m of measurements) {
    console.log(
      line([
        m.suite,
        m.target,
        m.op,
        m.impl,
        m.concurrency,
        m.n,
        m.opsPerSec,
        m.p50Us,
        m.p99Us,
        m.p999Us,
        m.cpuUsPerOp,
      ]),
    );
  }
  if (pairs.length > 0) {
    console.log("\nadapter vs raw (1.00 = no overhead)");
    for (const r of pairs) {
      console.log(
        `  ${r.target} ${r.op} (concurrency ${r.concurrency}): p50 ${r.p50Ratio.toFixed(2)}x, p99 ${r.p99Ratio.toFixed(2)}x, throughput ${r.throughputRatio.toFixed(2)}x`,
      );
    }
  }
}

/** Writes `bench/results/<name>.json` with the machine it ran on. */
export function writeResults(
  name: string,
  measurements: readonly Measurement[],
  pairs: readonly Ratio[],
): string {
  const dir = join(process.cwd(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
  };
  writeFileSync(
    file,
    `${JSON.stringify({ name, finishedAt: new Date().toISOString(), machine, measurements, ratios: pairs }, null, 2)}\n`,
  );
  return file;
}
