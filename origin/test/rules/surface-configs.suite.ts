import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { assignArm } from "#shared/experiments/assign-arm";
import { RulesPutRequest } from "#shared/rules/rules-config";
import { recordKeys } from "../../src/catalog/record-keys.js";
import { ExperimentsStore } from "../../src/experiments/experiments-store.js";
import { applyRules } from "../../src/rules/apply-rules.js";
import { NO_RULES } from "../../src/rules/compile-rules.js";
import { RulesStore } from "../../src/rules/rules-store.js";
import type { StorePort } from "../../src/store/port.js";
import { runId, type StoreTarget } from "../features/support/store-targets.js";

/** Fast enough that a test waits a few ms for a pickup, slow enough not to load the store. */
const TEST_POLL_MS = 20;

/**
 * Rules and experiments held in one real store: two instances (two origin
 * processes' worth) over the same records. Each run has its own record names,
 * so runs on a shared Aerospike server never see each other.
 */
export function surfaceConfigSuite(target: StoreTarget): void {
  const id = runId();
  let store: StorePort;
  let cleanup: () => Promise<void>;
  let writer: RulesStore;
  let reader: RulesStore;
  let experimentsWriter: ExperimentsStore;
  let experimentsReader: ExperimentsStore;
  let clock = 1_800_000_000_000;
  const now = () => clock;

  beforeAll(async () => {
    ({ store, cleanup } = await target.open());
    const keys = recordKeys(target.namespace);
    const rules = { recordPrefix: `rules-${id}`, now };
    const experiments = { recordPrefix: `experiment-${id}`, now };
    writer = await RulesStore.open(store, keys, { ...rules, pollMs: 0 });
    reader = await RulesStore.open(store, keys, { ...rules, pollMs: TEST_POLL_MS });
    experimentsWriter = await ExperimentsStore.open(store, keys, { ...experiments, pollMs: 0 });
    experimentsReader = await ExperimentsStore.open(store, keys, {
      ...experiments,
      pollMs: TEST_POLL_MS,
    });
  });
  afterAll(async () => {
    for (const s of [writer, reader, experimentsWriter, experimentsReader]) s?.close();
    await cleanup?.();
  });

  const blockBags = RulesPutRequest.parse({
    rules: [{ kind: "filter_blocked", feature: "category", values: ["bags"] }],
  }).rules;

  describe(`rules storage: ${target.name}`, () => {
    it("starts with no rules on every surface", () => {
      expect(reader.current("home")).toBe(NO_RULES);
      expect(reader.document("home")).toBeNull();
    });

    it("stores a version, and a second instance picks it up without restart", async () => {
      const result = await writer.put("home", blockBags);
      expect(result).toEqual({
        ok: true,
        doc: { surface: "home", version: 1, updatedAt: clock, rules: blockBags },
      });
      await vi.waitFor(() => expect(reader.current("home").version).toBe(1), { timeout: 5_000 });
      const { ranked, removed } = applyRules({
        surface: "home",
        candidates: [
          { id: "a", score: 1 },
          { id: "b", score: 2 },
        ],
        itemFeatures: [{ category: "shoes" }, { category: "bags" }],
        now: clock,
        rules: reader.current("home"),
      });
      expect(ranked.map((item) => item.id)).toEqual(["a"]);
      expect(removed).toEqual([{ id: "b", reason: "blocked: category in [bags]" }]);
      // Other surfaces are separate records.
      expect(reader.current("pdp")).toBe(NO_RULES);
    });

    it("parses once per version: the same compiled rules until the next change", async () => {
      const first = reader.current("home");
      await reader.refresh();
      expect(reader.current("home")).toBe(first);
      clock += 1_000;
      await writer.put("home", []);
      await vi.waitFor(() => expect(reader.current("home").version).toBe(2), { timeout: 5_000 });
      expect(reader.current("home")).not.toBe(first);
      expect(reader.document("home")?.updatedAt).toBe(clock);
    });

    it("refuses a write against a version the admin has not seen", async () => {
      const result = await writer.put("home", blockBags, 1);
      expect(result).toEqual({
        ok: false,
        code: "conflict",
        message: "expectVersion: the stored version is 2, not 1",
      });
      const ok = await writer.put("home", blockBags, 2);
      expect(ok.ok && ok.doc.version).toBe(3);
    });

    it("never loses a change when two instances write at once (generation check)", async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? reader : writer).put("cart", [{ kind: "pin", itemId: `i${i}`, position: 1 }]),
        ),
      );
      const versions = results.map((r) => (r.ok ? r.doc.version : -1)).sort((a, b) => a - b);
      expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
      await writer.refresh();
      expect(writer.current("cart").version).toBe(6);
    });
  });

  describe(`experiments storage: ${target.name}`, () => {
    const experiment = {
      salt: "s1",
      arms: [
        { name: "control", modelId: "ranker", version: 1, weight: 50 },
        { name: "treat", modelId: "ranker", version: 2, weight: 50 },
      ],
    };

    it("has no experiment until one is set", () => {
      expect(experimentsReader.current("home")).toBeNull();
    });

    it("stores an experiment that a second instance picks up and assigns the same way", async () => {
      const result = await experimentsWriter.put("home", experiment);
      expect(result.ok && result.doc.version).toBe(1);
      await vi.waitFor(() => expect(experimentsReader.current("home")).not.toBeNull(), {
        timeout: 5_000,
      });
      const mine = experimentsWriter.current("home");
      const theirs = experimentsReader.current("home");
      if (!mine || !theirs) throw new Error("expected an experiment");
      for (const unit of ["u1", "u2", "s-42", "u-7"]) {
        expect(assignArm(theirs, unit)).toEqual(assignArm(mine, unit));
      }
      expect(
        new Set(["u1", "u2", "u3", "u4", "u5", "u6"].map((u) => assignArm(theirs, u).name)),
      ).toEqual(new Set(["control", "treat"]));
    });
  });
}
