import { describe, expect, it } from "vitest";
import type { FeatureDefinition } from "#shared/features/definitions";
import {
  bucketIndex,
  bucketKey,
  decayPeriod,
  decayWeight,
  topKey,
  WRITTEN_AT_BIN,
} from "../../src/features/layout.js";
import { decodeFeature, featureBins } from "../../src/features/storage-read.js";

const T = Date.UTC(2026, 0, 5, 12, 0, 0);
const HOUR = 3_600_000;
const regions = ["eu", "us"];

function def(
  fields: Pick<FeatureDefinition, "bin" | "type" | "storage"> & { name?: string },
): FeatureDefinition {
  return {
    entity: "item_region",
    name: fields.name ?? "f",
    default: null,
    source: "stream",
    description: "",
    system: false,
    version: 1,
    updatedAt: 0,
    ...fields,
  };
}

const views1h = def({
  name: "views_1h",
  bin: "v1",
  type: "int",
  storage: { kind: "window_count", windowSeconds: 3600, bucketSeconds: 300 },
});
const clicks = def({
  name: "clicks",
  bin: "c1",
  type: "int",
  storage: { kind: "window_count", windowSeconds: 3600, bucketSeconds: 300 },
});
const ctr = def({
  name: "ctr",
  bin: "r1",
  type: "float",
  storage: {
    kind: "smoothed_ratio",
    numerator: "clicks",
    denominator: "views_1h",
    priorSuccesses: 1,
    priorFailures: 20,
  },
});
const sibling = (name: string) => [views1h, clicks].find((f) => f.name === name);

describe("decodeFeature", () => {
  it("serves a value bin as stored with its write time, vectors as Float32Array", () => {
    const plain = def({ bin: "p", type: "string_list", storage: { kind: "value" } });
    expect(
      decodeFeature(plain, { p: ["a", "b"], [WRITTEN_AT_BIN]: { p: T - 5 } }, { regions, now: T }),
    ).toEqual({ value: ["a", "b"], writtenAt: T - 5 });
    const vector = def({ bin: "e", type: "vector", storage: { kind: "value" } });
    const bytes = new Uint8Array(new Float32Array([0.5, -2]).buffer);
    const decoded = decodeFeature(vector, { e: bytes }, { regions, now: T });
    expect(decoded.value).toBeInstanceOf(Float32Array);
    expect(Array.from(decoded.value as Float32Array)).toEqual([0.5, -2]);
    expect(decoded.writtenAt).toBeNull();
    expect(decodeFeature(plain, {}, { regions, now: T })).toEqual({ value: null, writtenAt: null });
  });

  it("sums the buckets inside the window over every region, ignoring expired ones", () => {
    const current = bucketIndex(T, 300);
    const bins = {
      "v1.eu": {
        [bucketKey(current)]: 2,
        [bucketKey(current - 11)]: 3,
        [bucketKey(current - 12)]: 100,
      },
      "v1.us": { [bucketKey(current - 1)]: 4 },
      "v1.xx": { [bucketKey(current)]: 1000 },
      [WRITTEN_AT_BIN]: { v1: T - 1 },
    };
    expect(decodeFeature(views1h, bins, { regions, now: T })).toEqual({
      value: 9,
      writtenAt: T - 1,
    });
    // An hour later every bucket has left the window: zero, not missing.
    expect(decodeFeature(views1h, bins, { regions, now: T + HOUR }).value).toBe(0);
    // A region that never wrote is simply absent from the sum.
    expect(decodeFeature(views1h, bins, { regions: ["us"], now: T }).value).toBe(4);
    expect(decodeFeature(views1h, {}, { regions, now: T }).value).toBeNull();
  });

  it("decays forward-decayed sums to now, across periods and regions", () => {
    const affinity = def({
      bin: "af",
      type: "float",
      storage: { kind: "decayed_sum", halfLifeSeconds: 3600 },
    });
    const period = (ms: number) => bucketKey(decayPeriod(ms, 3600));
    // One event of weight 1 an hour ago (eu), one of weight 2 now in a later period (us).
    const early = T - HOUR;
    const late = T + 40 * HOUR;
    const bins = {
      "af.eu": { [period(early)]: decayWeight(early, 3600) },
      "af.us": { [period(late)]: 2 * decayWeight(late, 3600) },
    };
    expect(period(early)).not.toBe(period(late));
    const value = decodeFeature(affinity, bins, { regions, now: late }).value as number;
    expect(value).toBeCloseTo(2 + 2 ** -41, 12);
    expect(decodeFeature(affinity, bins, { regions: ["eu"], now: T }).value).toBeCloseTo(0.5, 12);
  });

  it("ranks decayed_top keys by score summed over periods and regions, top n", () => {
    const top = def({
      bin: "tr",
      type: "string_list",
      storage: { kind: "decayed_top", halfLifeSeconds: 3600, n: 2 },
    });
    const p = decayPeriod(T, 3600);
    const w = decayWeight(T, 3600);
    const bins = {
      "tr.eu": {
        [topKey(p, "a")]: 3 * w,
        [topKey(p, "b:with:colons")]: 2 * w,
        [topKey(p, "c")]: w,
      },
      "tr.us": {
        [topKey(p, "c")]: 3 * w,
        [topKey(decayPeriod(T - 50 * HOUR, 3600), "b:with:colons")]:
          decayWeight(T - 50 * HOUR, 3600) * 1e6,
      },
    };
    // c = 4, a = 3, b = 2 + a big score 50 half-lives old (1e6 * 2^-50, nothing now).
    expect(decodeFeature(top, bins, { regions, now: T }).value).toEqual(["c", "a"]);
    expect(decodeFeature(top, bins, { regions: ["eu"], now: T }).value).toEqual([
      "a",
      "b:with:colons",
    ]);
  });

  it("derives a smoothed ratio from two window counts of the record", () => {
    const current = bucketKey(bucketIndex(T, 300));
    const bins = {
      "v1.eu": { [current]: 30 },
      "c1.us": { [current]: 5 },
      [WRITTEN_AT_BIN]: { v1: T - 10, c1: T - 3 },
    };
    expect(decodeFeature(ctr, bins, { regions, now: T, sibling })).toEqual({
      value: (5 + 1) / (30 + 21),
      writtenAt: T - 3,
    });
    expect(decodeFeature(ctr, {}, { regions, now: T, sibling }).value).toBeNull();
    expect(decodeFeature(ctr, bins, { regions, now: T + 2 * HOUR, sibling }).value).toBeCloseTo(
      1 / 21,
    );
  });
});

describe("featureBins", () => {
  it("names the value bin, every region's bin, or a ratio's inputs, always with _t", () => {
    expect(
      featureBins(def({ bin: "p", type: "int", storage: { kind: "value" } }), { regions }),
    ).toEqual(["p", WRITTEN_AT_BIN]);
    expect(featureBins(views1h, { regions })).toEqual(["v1.eu", "v1.us", WRITTEN_AT_BIN]);
    expect(new Set(featureBins(ctr, { regions, sibling }))).toEqual(
      new Set(["c1.eu", "c1.us", "v1.eu", "v1.us", WRITTEN_AT_BIN]),
    );
  });
});
