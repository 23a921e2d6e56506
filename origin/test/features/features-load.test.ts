import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordKeys } from "../../src/catalog/record-keys.js";
import { featureRecordKey } from "../../src/features/layout.js";
import { FeatureRegistry } from "../../src/features/registry/feature-registry.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";

const CLI = fileURLToPath(new URL("../../../scripts/features-load.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "reco-features-load-"));
const lmdbPath = join(dir, "lmdb");

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    STORE: "lmdb",
    LMDB_PATH: lmdbPath,
  };
  // The CLI must not need the origin's secret.
  delete env.ORIGIN_SIGNING_SECRET;
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function withStore<T>(use: (store: LmdbStore) => Promise<T>): Promise<T> {
  const store = new LmdbStore({ path: lmdbPath });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const ts = 1_750_000_000_000;
const lines = [
  JSON.stringify({ entity: "item", key: "i1", values: { price: 10, tags: ["a"] }, ts }),
  "",
  "{not json",
  JSON.stringify({ entity: "item", key: "i2", values: { price: "cheap" }, ts }),
  JSON.stringify({ entity: "item", key: "i3", values: { price: 30 }, ts }),
  JSON.stringify({ entity: "user", key: "u1", values: { spend: 99.5 }, ts }),
  JSON.stringify({ entity: "ghost", key: "g1", values: { x: 1 } }),
  JSON.stringify({ entity: "item", key: "i4", values: { price: 40, nope: 1 }, ts }),
];

beforeAll(async () => {
  await withStore(async (store) => {
    const registry = await FeatureRegistry.open(store, recordKeys("reco"), { pollMs: 0 });
    for (const def of [
      { entity: "item", name: "price", type: "float" },
      { entity: "item", name: "tags", type: "string_list" },
      { entity: "user", name: "spend", type: "float" },
    ]) {
      const result = await registry.putFeature(def);
      if (!result.ok) throw new Error(result.message);
    }
    registry.close();
  });
  writeFileSync(join(dir, "mixed.ndjson"), `${lines.join("\n")}\n`);
  writeFileSync(
    join(dir, "good.ndjson"),
    Array.from({ length: 1_234 }, (_, i) =>
      JSON.stringify({ entity: "item", key: `b${i}`, values: { price: i }, ts }),
    ).join("\n"),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run features:load", () => {
  it("writes the good rows, reports bad ones by line number, exits 2", async () => {
    const run = await runCli([join(dir, "mixed.ndjson"), "--batch", "2"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("line 3: not valid JSON");
    expect(run.stderr).toContain("line 4: values.price: expected a number");
    expect(run.stderr).toContain('line 7: unknown entity "ghost"');
    expect(run.stderr).toContain("line 8: values.nope: unknown feature of item");
    expect(run.stdout).toContain("8 lines, 3 rows written, 4 bad");
    await withStore(async (store) => {
      const i1 = await store.get(featureRecordKey("reco", "item", "i1"));
      expect(Object.values(i1?.bins ?? {})).toEqual(expect.arrayContaining([10, ["a"]]));
      expect(await store.get(featureRecordKey("reco", "item", "i2"))).toBeNull();
      expect(await store.get(featureRecordKey("reco", "item", "i4"))).toBeNull();
      expect(await store.get(featureRecordKey("reco", "user", "u1"))).not.toBeNull();
    });
  });

  it("is safe to re-run: the same file gives the same records", async () => {
    const before = await withStore((store) =>
      store.batchGet(["i1", "i3"].map((k) => featureRecordKey("reco", "item", k))),
    );
    const run = await runCli([join(dir, "mixed.ndjson")]);
    expect(run.code).toBe(2);
    const after = await withStore((store) =>
      store.batchGet(["i1", "i3"].map((k) => featureRecordKey("reco", "item", k))),
    );
    expect(after.map((r) => r?.bins)).toEqual(before.map((r) => r?.bins));
  });

  it("exits 0 with a summary and progress when every row is good", async () => {
    const run = await runCli([join(dir, "good.ndjson"), "--batch", "100"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1234 lines, 1234 rows written, 0 bad");
    expect(run.stderr).toMatch(/1234 rows written, 0 bad, \d+ rows\/s/);
    const last = await withStore((store) => store.get(featureRecordKey("reco", "item", "b1233")));
    expect(Object.values(last?.bins ?? {})).toContain(1233);
  });

  it("exits 64 on usage errors and 66 on a missing file", async () => {
    expect((await runCli([])).code).toBe(64);
    expect((await runCli([join(dir, "absent.ndjson")])).code).toBe(66);
  });
});
