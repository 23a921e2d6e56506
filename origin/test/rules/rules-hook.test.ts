import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { RulesPutRequest } from "#shared/rules/rules-config";
import { recordKeys } from "../../src/catalog/record-keys.js";
import { createFeatureServices } from "../../src/features/create-feature-services.js";
import type { FeatureServices } from "../../src/features/feature-services.js";
import { featureRecordKey } from "../../src/features/layout.js";
import { writeFeatures } from "../../src/features/write/write-features.js";
import type { BusinessRulesHook } from "../../src/proxy/business-rules-hook.js";
import { businessRulesHook } from "../../src/rules/rules-hook.js";
import { RulesStore } from "../../src/rules/rules-store.js";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";

const NS = "reco";
const dir = mkdtempSync(join(tmpdir(), "reco-rules-hook-"));
let store: LmdbStore;
let features: FeatureServices & { close(): Promise<void> };
let rules: RulesStore;

beforeAll(async () => {
  store = new LmdbStore({ path: join(dir, "db") });
  const keys = recordKeys(NS);
  features = await createFeatureServices({
    store,
    keys,
    namespace: NS,
    region: "hook",
    registryPollMs: 0,
    logSampleRate: 0,
    logPath: join(dir, "log.ndjson"),
  });
  for (const def of [
    { entity: "item", name: "category", type: "string", default: "" },
    { entity: "item", name: "in_stock", type: "bool", default: false },
  ]) {
    const result = await features.registry.putFeature(def);
    if (!result.ok) throw new Error(result.message);
  }
  const written = await writeFeatures(features.writer, "item", [
    { key: "i1", values: { category: "shoes", in_stock: true } },
    { key: "i2", values: { category: "shoes", in_stock: true } },
    { key: "i3", values: { category: "bags", in_stock: false } },
    { key: "i4", values: { category: "bags", in_stock: true } },
  ]);
  expect(written.errors).toEqual([]);
  // The stream processor's purchases feature (a built-in, bin `pu`), as a purchase event would leave it.
  await store.put(featureRecordKey(NS, "user", "u1"), { pu: ["i1"] });
  rules = await RulesStore.open(store, keys, { pollMs: 0 });
});
afterAll(async () => {
  rules?.close();
  await features?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const scored = [
  { id: "i1", score: 0.9, reason: "model score 0.9000" },
  { id: "i2", score: 0.8, reason: "model score 0.8000" },
  { id: "i3", score: 0.7, reason: "model score 0.7000" },
  { id: "i4", score: 0.6, reason: "model score 0.6000" },
];

describe("businessRulesHook", () => {
  it("plugs into the rank pipeline's hook type", () => {
    expectTypeOf(businessRulesHook({ rules, features })).toExtend<BusinessRulesHook>();
  });

  it("passes the list through untouched when the surface has no rules", async () => {
    const hook = businessRulesHook({ rules, features });
    expect(await hook(scored, { surface: "cart", userId: "u1" })).toBe(scored);
  });

  it("fetches the features the rules read and the user's purchases, then applies the rules", async () => {
    const put = await rules.put(
      "home",
      RulesPutRequest.parse({
        rules: [
          { kind: "filter_out_of_stock" },
          { kind: "filter_purchased" },
          { kind: "boost", when: { feature: "category", op: "eq", value: "bags" }, weight: 2 },
          // Not declared in the registry: never matches, never fails the request.
          { kind: "boost", when: { feature: "colour", op: "eq", value: "red" }, weight: 5 },
        ],
      }).rules,
    );
    expect(put.ok).toBe(true);
    const hook = businessRulesHook({ rules, features, now: () => 1_800_000_000_000 });
    const items = await hook(scored, { surface: "home", userId: "u1", sessionId: "s1" });
    expect(items).toEqual([
      { id: "i4", score: 1.2, reason: "score 0.6; boosted: category = bags ×2" },
      { id: "i2", score: 0.8, reason: "score 0.8" },
    ]);
    // Anonymous: nothing is known to be purchased.
    const anonymous = await hook(scored, { surface: "home", sessionId: "s1" });
    expect(anonymous.map((item) => item.id)).toEqual(["i4", "i1", "i2"]);
  });
});
