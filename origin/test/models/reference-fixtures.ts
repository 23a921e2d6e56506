import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { FeatureMatrix, Model } from "../../src/models/model.js";
import { fixturesDir } from "../support/fixtures-dir.js";

/** `gbdt/boosters` in the shared fixtures (`../shared/fixtures` beside the repo); see its SOURCE.md. */
export const BOOSTERS_DIR = join(fixturesDir(), "gbdt/boosters");

/**
 * Fails (never skips) when the reference files are absent, so a missing
 * checkout cannot turn the accuracy tests green by having nothing to check.
 */
export function requireFixtures(): void {
  if (!existsSync(BOOSTERS_DIR)) {
    throw new Error(
      `GBDT reference fixtures not found at ${BOOSTERS_DIR}: the tests compare against the real libraries' predictions stored there (see docs/models.md)`,
    );
  }
}

/** Files in a fixture folder, or [] if the folder is absent (the test then fails in requireFixtures). */
export function listFixtures(relative: string, suffix: string): string[] {
  const dir = join(BOOSTERS_DIR, relative);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .map((name) => name.slice(0, name.length - suffix.length))
    .sort();
}

export function readFixture(relative: string): string {
  return readFileSync(join(BOOSTERS_DIR, relative), "utf8");
}

export function readJson<T>(relative: string): T {
  return JSON.parse(readFixture(relative)) as T;
}

/** Row-major matrix from row arrays where `null` means missing. */
export function matrixFromRows(
  rows: Array<Array<number | null>>,
  width: number,
  array: "f32" | "f64",
) {
  const out =
    array === "f32" ? new Float32Array(rows.length * width) : new Float64Array(rows.length * width);
  rows.forEach((row, r) => {
    expect(row).toHaveLength(width);
    row.forEach((v, c) => {
      out[r * width + c] = v === null ? Number.NaN : v;
    });
  });
  return out;
}

/** Flattens per-row values (a number, or one array per row for multiclass). */
export function flatExpected(values: RowValues): number[] {
  return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** Relative error ≤ 1e-6 per value: |a − b| ≤ 1e-6 · max(1, |b|). Reports every mismatch. */
export function expectClose(actual: Float64Array, expected: number[], what: string): void {
  expect(actual.length, `${what}: number of values`).toBe(expected.length);
  const bad: string[] = [];
  expected.forEach((b, i) => {
    const a = actual[i] as number;
    if (!(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b))))
      bad.push(`[${i}] got ${a}, expected ${b}`);
  });
  expect(bad, `${what}: values outside 1e-6 relative error`).toEqual([]);
}

/** Values per row as the libraries save them: a number, or one array per row for multiclass. */
export type RowValues = Array<number | number[]>;

/** Checks `predictRaw` and `predict` over `rows` rows against what the library returned. */
export function expectPredictions(
  model: Model,
  matrix: FeatureMatrix,
  rows: number,
  expected: { raw: RowValues; predict: RowValues },
): void {
  expectClose(model.predictRaw(matrix, rows), flatExpected(expected.raw), "raw");
  expectClose(model.predict(matrix, rows), flatExpected(expected.predict), "predict");
}

/**
 * The cases `fixtures/generate_<library>.py` wrote (committed beside these
 * tests, one folder per case): their names, sorted, and a JSON reader.
 */
export function generatedCases(library: "lightgbm" | "xgboost") {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "fixtures", library);
  const text = (name: string, file: string) => readFileSync(join(dir, name, file), "utf8");
  return {
    names: readdirSync(dir).sort(),
    text,
    json: <T>(name: string, file: string): T => JSON.parse(text(name, file)) as T,
  };
}
