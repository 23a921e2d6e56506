import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { recordKeys } from "../../../src/catalog/record-keys.js";
import { loadModel } from "../../../src/models/load-model.js";
import { ModelRegistry } from "../../../src/models/registry/model-registry.js";
import {
  syntheticMatrix,
  syntheticXgboostJson,
} from "../../../src/models/synthetic/synthetic-forests.js";
import type { StoreTarget } from "../../features/support/store-targets.js";
import { type GraphWorld, openGraphWorld } from "../../proxy/support/graph-fixture.js";
import { apiRefusal } from "../../support/api-refusal.js";

/** Upload, versions, activate, rollback and hot pick-up, against one real store. */
export function modelRegistrySuite(target: StoreTarget): void {
  let world: GraphWorld;
  let registry: ModelRegistry;
  let other: ModelRegistry;
  const small = JSON.parse(syntheticXgboostJson({ trees: 20, depth: 3, features: 8, seed: 7 }));
  const linear = { format: "linear", version: 1, weights: [1, 0, 0, 0, 0, 0, 0, 0], bias: 0 };

  beforeAll(async () => {
    world = await openGraphWorld(target);
    const keys = recordKeys(world.namespace);
    const options = { recordPrefix: `model-${world.id}` };
    registry = ModelRegistry.open(world.store, keys, world.registry, { ...options, pollMs: 0 });
    // A second process's registry: polls, so it must pick up changes made through the first.
    other = ModelRegistry.open(world.store, keys, world.registry, { ...options, pollMs: 20 });
  });
  afterAll(async () => {
    registry?.close();
    other?.close();
    await world?.close();
  });

  describe(`model registry (${target.name})`, () => {
    it("stores the first version and activates it", async () => {
      const result = await registry.upload("ranker", { model: small, graph: world.graph });
      expect(result).toMatchObject({ version: 1, active: 1 });
      expect(result.columns).toHaveLength(8);
      const head = await registry.head("ranker");
      expect(head?.versions.map((v) => [v.version, v.format, v.numFeatures, v.numTrees])).toEqual([
        [1, "xgboost-json", 8, 20],
      ]);
      const active = await registry.resolve("ranker");
      expect(active?.version).toBe(1);
      // Parsed once per process: the same instance until the head changes.
      expect(await registry.resolve("ranker")).toBe(active);
    });

    it("refuses a model that does not load, a bad graph and a column count mismatch (.error)", async () => {
      const bad = await apiRefusal(
        registry.upload("ranker", { model: { learner: {} }, graph: world.graph }),
      );
      expect(bad.status).toBe(400);
      expect(bad.message).toContain("xgboost-json model: ");
      const graph = {
        ...world.graph,
        columns: [{ node: "item", feature: "cat" }, ...world.graph.columns.slice(1)],
      };
      const badGraph = await apiRefusal(registry.upload("ranker", { model: small, graph }));
      expect(badGraph.message).toBe(
        "graph: columns[0]: item.cat is a string feature; columns must be numbers (int, float, bool)",
      );
      const five = { ...linear, weights: [1, 2, 3, 4, 5] };
      const mismatch = await apiRefusal(
        registry.upload("ranker", { model: five, graph: world.graph }),
      );
      expect(mismatch.message).toBe("graph.columns: 8 column(s), but the model takes 5 features");
      const noModel = await apiRefusal(registry.upload("ranker", { graph: world.graph }));
      expect(noModel.message).toContain("model");
      expect((await registry.head("ranker"))?.versions).toHaveLength(1);
    });

    it("keeps a new version inactive until activated; activate and roll back", async () => {
      const v2 = await registry.upload("ranker", { model: linear, graph: world.graph });
      expect(v2).toMatchObject({ version: 2, active: 1 });
      expect((await registry.activate("ranker", 2)).active).toBe(2);
      expect((await registry.resolve("ranker"))?.model.format).toBe("linear-json");
      const missing = await apiRefusal(registry.activate("ranker", 9));
      expect([missing.status, missing.message]).toEqual([404, "model ranker has no version 9"]);
      const back = await registry.rollback("ranker");
      expect(back.active).toBe(1);
      expect(back.history.map((h) => [h.version, h.action])).toEqual([
        [1, "activate"],
        [2, "activate"],
        [1, "rollback"],
      ]);
      const v3 = await registry.upload("ranker", {
        model: linear,
        graph: world.graph,
        activate: true,
      });
      expect(v3).toMatchObject({ version: 3, active: 3 });
    });

    it("answers 404 for an unknown model and 409 when there is nothing to roll back to", async () => {
      expect(await registry.resolve("nobody")).toBeNull();
      expect((await apiRefusal(registry.activate("nobody", 1))).status).toBe(404);
      expect((await apiRefusal(registry.rollback("nobody"))).status).toBe(404);
      await registry.upload("single", { model: small, graph: world.graph });
      const none = await apiRefusal(registry.rollback("single"));
      expect([none.status, none.code]).toEqual([409, "conflict"]);
    });

    it("resolves a named version (an experiment arm) once, beside the active one (.error)", async () => {
      await registry.upload("pinned", { model: small, graph: world.graph });
      await registry.upload("pinned", { model: linear, graph: world.graph });
      const active = await registry.resolve("pinned");
      expect(await registry.resolveVersion("pinned", 1)).toBe(active);
      const v2 = await registry.resolveVersion("pinned", 2);
      expect([v2?.version, v2?.model.format]).toEqual([2, "linear-json"]);
      // Parsed once per process, and the active version is still the one served by default.
      expect(await registry.resolveVersion("pinned", 2)).toBe(v2);
      expect((await registry.resolve("pinned"))?.version).toBe(1);
      expect(await registry.resolveVersion("nobody", 1)).toBeNull();
      const missing = await apiRefusal(registry.resolveVersion("pinned", 7));
      expect([missing.status, missing.message]).toEqual([404, "model pinned has no version 7"]);
    });

    it("a second process picks up an activation without restart", async () => {
      await registry.upload("hot", { model: small, graph: world.graph });
      await registry.upload("hot", { model: linear, graph: world.graph });
      expect((await other.resolve("hot"))?.version).toBe(1);
      await registry.activate("hot", 2);
      await vi.waitFor(async () => expect((await other.resolve("hot"))?.version).toBe(2), {
        timeout: 5_000,
        interval: 20,
      });
    });

    it("stores a large forest in chunks and scores it as the original", async () => {
      const text = syntheticXgboostJson({ trees: 300, depth: 6, features: 8, seed: 9 });
      expect(text.length).toBeGreaterThan(1024 * 1024);
      await registry.upload("big", { model: text, graph: world.graph });
      const fresh = ModelRegistry.open(world.store, recordKeys(world.namespace), world.registry, {
        recordPrefix: `model-${world.id}`,
        pollMs: 0,
      });
      const active = await fresh.resolve("big");
      const matrix = syntheticMatrix(50, 8, 3);
      expect(active?.model.predict(matrix, 50)).toEqual(loadModel(text).predict(matrix, 50));
      fresh.close();
    });
  });
}
