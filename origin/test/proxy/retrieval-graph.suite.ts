import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RetrievalGraphInput } from "#shared/models/graph";
import { featureSet } from "../../src/features/layout.js";
import { FeatureServer } from "../../src/features/serving/feature-server.js";
import { compileGraph, GraphValidationError } from "../../src/proxy/compile-graph.js";
import { executeGraph } from "../../src/proxy/execute-graph.js";
import type { StoreTarget } from "../features/support/store-targets.js";
import {
  countingStore,
  type GraphWorld,
  openGraphWorld,
  WORLD_CANDIDATES,
} from "./support/graph-fixture.js";

/** Graph validation, compiled plans and the executor against one real store. */
export function retrievalGraphSuite(target: StoreTarget): void {
  let world: GraphWorld;
  let counted: ReturnType<typeof countingStore>;
  let server: FeatureServer;
  const context = { userId: "u1", region: "eu", surface: "home" };

  beforeAll(async () => {
    world = await openGraphWorld(target, (store) => {
      counted = countingStore(store);
      return counted;
    });
    server = new FeatureServer({
      store: counted,
      namespace: world.namespace,
      registry: world.registry,
    });
  });
  afterAll(async () => {
    await world?.close();
  });
  beforeEach(() => counted.reset());

  function problemsOf(graph: unknown): string[] {
    try {
      compileGraph(graph, world.registry.snapshot());
    } catch (error) {
      if (error instanceof GraphValidationError) {
        expect(error.status).toBe(400);
        return [...error.problems];
      }
      throw error;
    }
    throw new Error("expected the graph to be refused");
  }

  function withNode(index: number, patch: Record<string, unknown>): RetrievalGraphInput {
    const nodes = world.graph.nodes.map((n, i) => (i === index ? { ...n, ...patch } : n));
    return { ...world.graph, nodes } as RetrievalGraphInput;
  }

  describe(`graph validation (${target.name}) .error`, () => {
    it("accepts the world graph", () => {
      expect(compileGraph(world.graph, world.registry.snapshot()).columnNames).toHaveLength(8);
    });

    it("refuses a cycle, naming the nodes on it", () => {
      const item = world.entities.item;
      const problems = problemsOf({
        nodes: [
          { id: "a", entity: item, key: [{ node: "b", feature: "twin" }] },
          { id: "b", entity: item, key: [{ node: "a", feature: "twin" }] },
        ],
        columns: [{ node: "a", feature: "price" }],
      });
      expect(problems).toEqual(['nodes[0] "a": cycle a -> b -> a']);
    });

    it("refuses an unknown entity and an unknown feature, pointing at the node or column", () => {
      expect(problemsOf(withNode(1, { entity: "nope" }))).toContain(
        'nodes[1] "user": unknown entity "nope"',
      );
      const columns = [...world.graph.columns];
      columns[2] = { node: "item", feature: "nope" };
      expect(problemsOf({ ...world.graph, columns })).toEqual([
        `columns[2]: unknown feature "nope" of entity ${world.entities.item}`,
      ]);
      expect(problemsOf(withNode(0, { features: ["ghost"] }))).toEqual([
        `nodes[0] "item".features: unknown feature "ghost" of entity ${world.entities.item}`,
      ]);
      const unknownNode = [...world.graph.columns];
      unknownNode[0] = { node: "nobody", feature: "price" };
      expect(problemsOf({ ...world.graph, columns: unknownNode })).toEqual([
        'columns[0]: unknown node "nobody"',
      ]);
    });

    it("refuses a key derived from a non-string feature and a wrong number of key parts", () => {
      expect(
        problemsOf(withNode(2, { key: [{ input: "userId" }, { node: "item", feature: "price" }] })),
      ).toEqual([
        'nodes[2] "uc".key[1]: key derived from item.price, a float feature; keys come from string features',
      ]);
      expect(problemsOf(withNode(2, { key: [{ input: "userId" }] }))[0]).toContain(
        'nodes[2] "uc".key: entity',
      );
    });

    it("refuses columns that are not numbers and a dot of non-vectors", () => {
      const columns = [...world.graph.columns];
      columns[0] = { node: "item", feature: "cat" };
      columns[1] = { node: "item", feature: "tags" };
      columns[6] = {
        dot: [
          { node: "user", feature: "age" },
          { node: "item", feature: "emb" },
        ],
      };
      expect(problemsOf({ ...world.graph, columns })).toEqual([
        "columns[0]: item.cat is a string feature; columns must be numbers (int, float, bool)",
        "columns[1]: item.tags is a string_list feature; columns must be numbers (int, float, bool)",
        "columns[6].dot[0]: user.age is a int feature; dot takes vectors",
      ]);
    });

    it("refuses a node nothing reads from", () => {
      const columns = world.graph.columns.filter((c) => !("node" in c) || c.node !== "ir");
      expect(problemsOf({ ...world.graph, columns })).toEqual([
        'nodes[4] "ir": fetches nothing (no column or key reads it and it lists no features)',
      ]);
    });

    it("refuses a level that reads more entities than one feature request holds", async () => {
      const names = Array.from({ length: 17 }, (_, i) => `lv${i}${world.id}`);
      for (const name of names) {
        const entity = await world.registry.putEntity({
          name,
          keyParts: ["item"],
          description: "",
        });
        expect(entity.ok).toBe(true);
        const feature = await world.registry.putFeature({ entity: name, name: "x", type: "int" });
        expect(feature.ok).toBe(true);
      }
      const graph = {
        nodes: names.map((entity, i) => ({ id: `n${i}`, entity, key: [{ input: "candidate" }] })),
        columns: names.map((_, i) => ({ node: `n${i}`, feature: "x" })),
      };
      expect(problemsOf(graph)).toEqual(["level 0 reads 17 entities; at most 16"]);
    });

    it("refuses an unknown input and a malformed graph", () => {
      expect(problemsOf(withNode(0, { key: [{ input: "deviceId" }] }))).toEqual([
        'nodes[0] "item".key[0]: unknown input "deviceId" (expected one of candidate, userId, sessionId, region, surface)',
      ]);
      expect(problemsOf({ nodes: world.graph.nodes })[0]).toContain("columns");
    });
  });

  describe(`graph plan and execution (${target.name})`, () => {
    it("compiles to levels by dependency, one group per entity, keys shown per node", () => {
      const { view } = compileGraph(world.graph, world.registry.snapshot());
      const e = world.entities;
      expect(view.levels.map((l) => l.groups.map((g) => g.entity))).toEqual([
        [e.item, e.user, e.ir],
        [e.uc, e.brand],
      ]);
      expect(view.levels[1]?.groups[0]?.keys).toEqual(["uc: userId|item.cat"]);
      expect(view.levels[0]?.groups[0]?.features).toEqual(
        expect.arrayContaining(["cat", "brand", "price", "stock", "cnt", "emb"]),
      );
      expect(view.columns[6]).toBe("sim");
      expect(view.columns[0]).toBe("item.price");
    });

    it("fills the matrix with values, declared defaults and NaN, and counts statuses", async () => {
      const plan = compileGraph(world.graph, world.registry.snapshot());
      const result = await executeGraph(plan, server, WORLD_CANDIDATES, context);
      const rows = Array.from({ length: 4 }, (_, r) =>
        Array.from(result.matrix.subarray(r * 8, r * 8 + 8)),
      );
      const f = Math.fround;
      expect(rows).toEqual([
        [10, 1, 7, 0.5, f(0.9), 5, 1, 30],
        [20, 0, 7, 0.5, Number.NaN, 0, Number.NaN, 30],
        [30, 0, 3, 0, f(0.9), 0, Number.NaN, 30],
        [Number.NaN, 0, 7, 0, Number.NaN, 0, Number.NaN, 30],
      ]);
      expect(result.status).toEqual([
        { present: 3, default: 0, expired: 0, missing: 1 },
        { present: 2, default: 2, expired: 0, missing: 0 },
        { present: 1, default: 3, expired: 0, missing: 0 },
        { present: 2, default: 0, expired: 0, missing: 2 },
        { present: 2, default: 0, expired: 0, missing: 2 },
        { present: 1, default: 3, expired: 0, missing: 0 },
        { present: 1, default: 0, expired: 0, missing: 3 },
        { present: 4, default: 0, expired: 0, missing: 0 },
      ]);
    });

    it("reads each level in one batched round trip and never reads a key twice", async () => {
      const plan = compileGraph(world.graph, world.registry.snapshot());
      const result = await executeGraph(plan, server, WORLD_CANDIDATES, context);
      expect(result.reads).toBe(2);
      expect(counted.calls.every((c) => c.method === "batchGet")).toBe(true);
      // One batchGet per entity: three at level 0, two at level 1.
      expect(counted.calls.map((c) => c.keys[0]?.set)).toEqual(
        [
          world.entities.item,
          world.entities.user,
          world.entities.ir,
          world.entities.uc,
          world.entities.brand,
        ].map(featureSet),
      );
      const all = counted.calls.flatMap((c) => c.keys.map((k) => `${k.set}/${k.key}`));
      expect(new Set(all).size).toBe(all.length);
      // i1 and i2 share category c1: user×category u1|c1 is read once.
      expect(all.filter((k) => k.endsWith("/u1|c1"))).toHaveLength(1);
    });

    it("does not re-read a key an earlier level already read (same entity at two levels)", async () => {
      const graph = {
        nodes: [
          world.graph.nodes[0],
          { id: "twin", entity: world.entities.item, key: [{ node: "item", feature: "twin" }] },
        ],
        columns: [
          { node: "item", feature: "price" },
          { name: "twin_price", node: "twin", feature: "price", default: -1 },
        ],
      };
      const plan = compileGraph(graph, world.registry.snapshot());
      const result = await executeGraph(plan, server, ["i1", "i3"], context);
      // i1's twin is i2 (read at level 1), i3's twin is i9 (absent): column default.
      expect(Array.from(result.matrix)).toEqual([10, 20, 30, -1]);
      const all = counted.calls.flatMap((c) => c.keys.map((k) => k.key));
      expect(all).toEqual(["i1", "i3", "i2", "i9"]);
    });

    it("leaves out nodes whose key cannot be formed (anonymous user)", async () => {
      const plan = compileGraph(world.graph, world.registry.snapshot());
      const result = await executeGraph(plan, server, ["i1"], { region: "eu", surface: "home" });
      expect(Array.from(result.matrix)).toEqual([10, 1, 7, 0, Math.fround(0.9), 5, Number.NaN, -1]);
      const sets = counted.calls.map((c) => c.keys[0]?.set);
      expect(sets).not.toContain(featureSet(world.entities.user));
      expect(sets).not.toContain(featureSet(world.entities.uc));
    });
  });
}
