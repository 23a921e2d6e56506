import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FeatureLog } from "../../src/features/logging/feature-log.js";
import { isSampled } from "../../src/features/logging/sampling.js";

const dir = mkdtempSync(join(tmpdir(), "reco-feature-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("feature log", () => {
  it("logs a model's matrix row by row, only for sampled request ids", async () => {
    const path = join(dir, "nested", "matrix.ndjson");
    const log = new FeatureLog({ path, sampleRate: 0.5 });
    const ids = Array.from({ length: 40 }, (_, i) => `m-${i}`);
    const matrix = {
      entity: "item",
      keys: ["a", "b"],
      features: ["x", "y"],
      values: Float32Array.from([1, 2, 3, 4]),
    };
    for (const requestId of ids) {
      log.logMatrix({ modelId: "m", modelVersion: "1", requestId }, matrix, 42);
    }
    await log.close();
    const lines = readLines(path);
    const expected = ids.filter((id) => isSampled(id, 0.5));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(ids.length);
    expect(lines).toHaveLength(expected.length * 2);
    expect(lines[0]).toEqual({
      ts: 42,
      requestId: expected[0],
      modelId: "m",
      modelVersion: "1",
      entity: "item",
      key: "a",
      features: { x: 1, y: 2 },
    });
    expect(lines[1]).toMatchObject({ key: "b", features: { x: 3, y: 4 } });
  });

  it("writes nothing at rate 0", async () => {
    const path = join(dir, "off.ndjson");
    const log = new FeatureLog({ path, sampleRate: 0 });
    log.logServed({ modelId: "m", modelVersion: "1", requestId: "r" }, [
      {
        entity: "item",
        features: ["x"],
        rows: [{ key: "a", values: [1], status: ["present"], ageMs: [0] }],
      },
    ]);
    await log.close();
    expect(() => readFileSync(path)).toThrow();
  });
});
