import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForestModel } from "../../../src/models/forest-model.js";
import { loadModel } from "../../../src/models/load-model.js";
import type { FeatureMatrix, Model } from "../../../src/models/model.js";
import { ParallelScorer } from "../../../src/models/parallel/parallel-scorer.js";
import {
  syntheticLightgbmText,
  syntheticMatrix,
  syntheticXgboostJson,
} from "../../../src/models/synthetic/synthetic-forests.js";
import {
  listFixtures,
  matrixFromRows,
  readFixture,
  readJson,
  requireFixtures,
} from "../reference-fixtures.js";

/** The bench's shape: 300 complete depth-6 trees over 40 features, 200 candidates. */
const FOREST = { trees: 300, depth: 6, features: 40, seed: 7 };
const ROWS = 200;

let scorer: ParallelScorer;

beforeAll(async () => {
  // A low threshold so the reference files' few rows (tiled) are split too.
  // Always waits for the worker, however busy the box is: these tests check the worker's results.
  scorer = new ParallelScorer({
    minRows: 8,
    restartDelayMs: 0,
    replyTimeoutMs: 60_000,
    reclaim: false,
  });
  await scorer.warmUp();
});

afterAll(async () => {
  await scorer.close();
});

/** Scores through the scorer, checks the worker took a share, and compares with a one-thread predict. */
async function expectParallelIdentical(model: Model, matrix: FeatureMatrix, rows: number) {
  expect(model instanceof ForestModel && model.branchFree).toBeTruthy();
  const before = { ...scorer.counts };
  const parallel = await scorer.predict(model, matrix, rows);
  expect(scorer.counts.parallel).toBe(before.parallel + 1);
  expect(scorer.counts.fallback).toBe(before.fallback);
  expect(parallel).toEqual(model.predict(matrix, rows));
}

/** `times` copies of a matrix's rows, so a handful of reference rows becomes a split-sized call. */
function tile(matrix: FeatureMatrix, times: number): FeatureMatrix {
  const out = new (matrix.constructor as Float32ArrayConstructor)(matrix.length * times);
  for (let i = 0; i < times; i++) out.set(matrix, i * matrix.length);
  return out;
}

describe("parallel scoring gives the single-thread predictions, bit for bit", () => {
  it("finds the reference files", () => {
    requireFixtures();
  });

  const xgboost = listFixtures("xgboost/gbtree/inference", ".model.json")
    // Categorical splits always walk node by node: nothing to split (checked below).
    .filter((name) => !name.includes("categorical"));
  it.each(xgboost)("XGBoost reference %s (f32 and f64 input)", async (name) => {
    const base = `xgboost/gbtree/inference/${name}`;
    const input = readJson<{
      features: Array<Array<number | null>>;
      num_rows: number;
      num_features: number;
    }>(`${base}.input.json`);
    const model = loadModel(readFixture(`${base}.model.json`));
    for (const array of ["f32", "f64"] as const) {
      const matrix = matrixFromRows(input.features, input.num_features, array);
      const times = Math.ceil(40 / input.num_rows);
      await expectParallelIdentical(model, tile(matrix, times), input.num_rows * times);
    }
  });

  const lightgbm = listFixtures("lightgbm/inference", "")
    .filter((name) => !name.includes("."))
    // Linear trees always walk node by node: nothing to split.
    .filter((name) => name !== "linear_tree");
  it.each(lightgbm)("LightGBM reference %s (f32 and f64 input)", async (name) => {
    const dir = `lightgbm/inference/${name}`;
    const input = readJson<{
      data: Array<Array<number | null>>;
      num_samples: number;
      num_features: number;
    }>(`${dir}/input.json`);
    const model = loadModel(readFixture(`${dir}/model.txt`));
    for (const array of ["f32", "f64"] as const) {
      const matrix = matrixFromRows(input.data, input.num_features, array);
      const times = Math.ceil(40 / input.num_samples);
      await expectParallelIdentical(model, tile(matrix, times), input.num_samples * times);
    }
  });

  it("synthetic 300-tree XGBoost and LightGBM models at 200 rows with missing values", async () => {
    const matrix = syntheticMatrix(ROWS, FOREST.features, 11, 0.1);
    expect(matrix.some(Number.isNaN)).toBe(true);
    for (const model of [
      loadModel(syntheticXgboostJson(FOREST)),
      loadModel(syntheticLightgbmText(FOREST)),
    ]) {
      await expectParallelIdentical(model, matrix, ROWS);
      await expectParallelIdentical(model, Float64Array.from(matrix), ROWS);
      // An odd count: the last chunk is not a multiple of the kernel's four-row step.
      await expectParallelIdentical(model, matrix, ROWS - 3);
    }
  });
});

describe("parallel scoring falls back to the main thread", () => {
  const model = loadModel(syntheticXgboostJson(FOREST));
  const matrix = syntheticMatrix(ROWS, FOREST.features, 12);
  const expected = model.predict(matrix, ROWS);

  it("finishes a call on the main thread when the worker is late, and skips it while busy", async () => {
    // A zero wait: the worker's share is late unless it finished before the main thread's.
    const impatient = new ParallelScorer({ minRows: 8, replyTimeoutMs: 0 });
    try {
      await impatient.warmUp();
      for (let i = 0; i < 20; i++) {
        expect(impatient.predict(model, matrix, ROWS)).toEqual(expected);
      }
      const { parallel, mainThread, fallback } = impatient.counts;
      expect(parallel + mainThread + fallback).toBe(20);
      expect(fallback).toBeGreaterThan(0);
    } finally {
      await impatient.close();
    }
  });

  it("scores a forest that walks node by node on the main thread", async () => {
    const base = "xgboost/gbtree/inference/gbtree_categorical";
    const input = readJson<{ features: Array<Array<number | null>>; num_features: number }>(
      `${base}.input.json`,
    );
    const walking = loadModel(readFixture(`${base}.model.json`));
    const rows = tile(matrixFromRows(input.features, input.num_features, "f32"), 40);
    const n = rows.length / input.num_features;
    const before = { ...scorer.counts };
    expect(await scorer.predict(walking, rows, n)).toEqual(walking.predict(rows, n));
    expect(scorer.counts.mainThread).toBe(before.mainThread + 1);
  });

  it("scores small calls on the main thread", async () => {
    const before = { ...scorer.counts };
    expect(await scorer.predict(model, matrix, 4)).toEqual(model.predict(matrix, 4));
    expect(scorer.counts.mainThread).toBe(before.mainThread + 1);
  });

  it("scores on the main thread once the worker is killed, then starts a new worker", async () => {
    const worker = scorer.workerThread;
    if (!worker) throw new Error("expected a running worker");
    await worker.terminate();
    const before = { ...scorer.counts };
    expect(scorer.predict(model, matrix, ROWS)).toEqual(expected);
    expect(scorer.counts.parallel).toBe(before.parallel);

    await scorer.warmUp();
    expect(scorer.workerThread).not.toBe(worker);
    await expectParallelIdentical(model, matrix, ROWS);
  });
});
