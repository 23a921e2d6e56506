import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureDefinition } from "#shared/features/definitions";
import { decayedValue, featureRecordKey, regionalBin } from "../../src/features/layout.js";
import { buildSnapshot } from "../../src/features/registry/registry-snapshot.js";
import { FeatureServer } from "../../src/features/serving/feature-server.js";
import {
  HAS_NUMBER,
  type ServedColumns,
  STATUS_MASK,
} from "../../src/features/serving/serve-columns.js";
import { encodeVector } from "../../src/features/values.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import type { Bins } from "../../src/store/port.js";

const NS = "test";
const NOW = 1_800_000_000_000;
const ENTITY = "thing";
const STATUS = ["present", "default", "expired", "missing"];

const feature = (name: string, bin: string, extra: Record<string, unknown>) =>
  FeatureDefinition.parse({ entity: ENTITY, name, bin, version: 1, updatedAt: 0, ...extra });

/** One feature of every kind the compiled row server treats differently. */
const FEATURES = [
  feature("count", "a", { type: "int", default: 0 }),
  feature("score", "b", { type: "float" }),
  feature("flag", "c", { type: "bool", default: false }),
  feature("fresh", "d", { type: "float", default: -1, ttlSeconds: 60 }),
  feature("label", "e", { type: "string", default: "none" }),
  feature("emb", "g", { type: "vector", dim: 2 }),
  feature("tags", "h", { type: "string_list", default: [] }),
  feature("decay", "i", {
    type: "float",
    source: "stream",
    storage: { kind: "decayed_sum", halfLifeSeconds: 3600 },
  }),
  feature("fresh_flag", "j", { type: "bool", ttlSeconds: 60 }),
];
const NAMES = FEATURES.map((f) => f.name);

/**
 * Records as the store may hold them, including shapes the batch writer
 * would refuse (another writer, an older version, a type change): the
 * columnar read must serve each exactly as the row read does.
 */
const RECORDS: Record<string, Bins> = {
  // Every value present, fresh and of its declared shape.
  good: {
    a: 7,
    b: 0.25,
    c: true,
    d: 1.5,
    e: "red",
    g: encodeVector([1, 2]),
    h: ["x"],
    [regionalBin("i", "eu")]: { "0": 2 },
    j: false,
    _t: { a: NOW, b: NOW, c: NOW, d: NOW - 1_000, e: NOW, g: NOW, h: NOW, i: NOW, j: NOW },
  },
  // Values of shapes their types cannot have, and write times past the TTL.
  odd: {
    a: "seven",
    b: true,
    c: 1,
    d: 2.5,
    e: 5,
    g: 3,
    h: "x",
    j: true,
    _t: { d: NOW - 61_000, j: NOW - 61_000 },
  },
  // Values without write times: a feature with a TTL cannot show freshness, so is expired.
  unstamped: { a: 1, d: 4, j: true, g: encodeVector([1, 2, 3]).subarray(0, 5) },
  // A write time that is not a number, and one in the future (age 0: fresh).
  "bad-stamps": { d: 3, j: false, _t: { d: "soon", j: NOW + 5_000 } },
  // Nothing but write times.
  empty: { _t: { a: NOW } },
};

describe("columnar feature serving", () => {
  let dir: string;
  let store: LmdbStore;
  let server: FeatureServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "reco-serve-columns-"));
    store = new LmdbStore({ path: join(dir, "db") });
    const snapshot = buildSnapshot({
      version: 1,
      entities: [{ name: ENTITY, keyParts: ["id"], description: "" }],
      features: FEATURES,
      regions: ["eu"],
      nextBin: 10,
    });
    server = new FeatureServer({
      store,
      namespace: NS,
      registry: { snapshot: () => snapshot },
      now: () => NOW,
    });
    for (const [key, bins] of Object.entries(RECORDS)) {
      await store.put(featureRecordKey(NS, ENTITY, key), bins);
    }
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Each cell as `status value`: the number where it has one, else its
   * values column's entry, else `-` (a numeric feature keeps no other values).
   */
  function cells(columns: ServedColumns): string[][] {
    const width = columns.features.length;
    return columns.keys.map((_, r) =>
      columns.features.map((_, f) => {
        const byte = columns.status[r * width + f] as number;
        const column = columns.values[f];
        const value =
          (byte & HAS_NUMBER) !== 0
            ? format(columns.numbers[r * width + f])
            : column
              ? format(column[r])
              : "-";
        return `${STATUS[byte & STATUS_MASK]} ${value}`;
      }),
    );
  }

  function format(value: unknown): string {
    if (value instanceof Float32Array) return `[${Array.from(value).join(",")}]`;
    return JSON.stringify(value) ?? "undefined";
  }

  it("serves every cell as the row read does", async () => {
    const keys = [...Object.keys(RECORDS), "absent"];
    const [rows] = await server.get([{ entity: ENTITY, keys, features: NAMES }]);
    const [columns] = await server.getColumns([{ entity: ENTITY, keys, features: NAMES }]);
    if (!rows || !columns) throw new Error("nothing served");
    const numericType = FEATURES.map((f) => ["int", "float", "bool"].includes(f.type));
    const expected = rows.rows.map((row) =>
      row.values.map((value, f) => {
        const number = typeof value === "number" || typeof value === "boolean";
        const shown = number ? format(Number(value)) : numericType[f] ? "-" : format(value);
        return `${row.status[f]} ${shown}`;
      }),
    );
    expect(cells(columns)).toEqual(expected);
  });

  it("serves present values, wrong shapes as defaults, and stale or unstamped values as expired", async () => {
    const keys = ["good", "odd", "unstamped", "bad-stamps", "empty", "absent"];
    const [columns] = await server.getColumns([{ entity: ENTITY, keys, features: NAMES }]);
    if (!columns) throw new Error("nothing served");
    const served = cells(columns);
    const byKey = Object.fromEntries(keys.map((key, r) => [key, served[r]]));
    expect(byKey.good).toEqual([
      "present 7",
      "present 0.25",
      "present 1",
      "present 1.5",
      'present "red"',
      "present [1,2]",
      'present ["x"]',
      `present ${decayedValue(2, 0, NOW, 3600)}`,
      "present 0",
    ]);
    expect(byKey.odd).toEqual([
      // A string in an int feature is present but has no number for the matrix.
      "present -",
      "present 1",
      "present 1",
      "expired -1",
      "present 5",
      "missing null",
      'present "x"',
      "missing -",
      "expired -",
    ]);
    expect(byKey.unstamped).toEqual([
      "present 1",
      "missing -",
      "default 0",
      "expired -1",
      'default "none"',
      "missing null",
      "default []",
      "missing -",
      "expired -",
    ]);
    expect(byKey["bad-stamps"]?.[3]).toBe("expired -1");
    expect(byKey["bad-stamps"]?.[8]).toBe("present 0");
    const defaults = [
      "default 0",
      "missing -",
      "default 0",
      "default -1",
      'default "none"',
      "missing null",
      "default []",
      "missing -",
      "missing -",
    ];
    // A record without values and no record at all are served alike.
    expect(byKey.empty).toEqual(defaults);
    expect(byKey.absent).toEqual(defaults);
  });
});
