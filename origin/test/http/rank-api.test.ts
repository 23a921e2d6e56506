import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { RankResponse } from "#shared/api/rank";
import { EMPTY_REGISTRY } from "#shared/features/registry-document";
import { ApiError } from "#shared/http/api-error";
import { ModelGetResponse } from "#shared/models/registry";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import { buildSnapshot } from "../../src/features/registry/registry-snapshot.js";
import { loadModel } from "../../src/models/load-model.js";
import type { ModelRegistry } from "../../src/models/registry/model-registry.js";
import { syntheticXgboostJson } from "../../src/models/synthetic/synthetic-forests.js";
import { compileGraph } from "../../src/proxy/compile-graph.js";
import { DEMO_GRAPH } from "../../src/proxy/demo-graph.js";
import { rankCandidates } from "../../src/proxy/rank-candidates.js";
import type { RunningOrigin } from "../../src/start-origin.js";
import { StoreError } from "../../src/store/port.js";
import { adminRequest, signedPost } from "../support/origin-requests.js";
import { useTestOrigins } from "../support/test-origins.js";

const SECRET = "rank-api-test-secret";
const ADMIN_TOKEN = "rank-admin-token-0123456789";
const MODEL_TEXT = syntheticXgboostJson({ trees: 60, depth: 5, features: 6, seed: 11 });
const CANDIDATES = Array.from({ length: 200 }, (_, i) => `i${String(i + 1).padStart(5, "0")}`);
const CONTEXT = { userId: "u0001", region: "eu-test", surface: "home" as const };
const origins = useTestOrigins("rank-api");
const logPath = join(origins.dir, "feature-log.ndjson");
let origin: RunningOrigin;

beforeAll(async () => {
  origin = await origins.start({
    ORIGIN_SIGNING_SECRET: SECRET,
    REGION: "eu-test",
    ADMIN_TOKEN,
    FEATURE_LOG_SAMPLE_RATE: "1",
    FEATURE_LOG_PATH: logPath,
    SEED_DEMO_DATA: "true",
  });
});

const admin = (method: string, path: string, body?: unknown) =>
  adminRequest(origin.url, ADMIN_TOKEN, method, path, body);

const rank = (body: unknown) => signedPost(origin.url, "/internal/rank", body, SECRET);

describe("model admin API over HTTP", () => {
  it("uploads a model with its graph and shows the compiled plan", async () => {
    const put = await admin("PUT", "/models/demo-ranker", {
      model: JSON.parse(MODEL_TEXT),
      graph: DEMO_GRAPH,
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ id: "demo-ranker", version: 1, active: 1 });
    const get = await admin("GET", "/models/demo-ranker");
    expect(get.status).toBe(200);
    const body = ModelGetResponse.parse(await get.json());
    expect(body.active).toBe(1);
    expect(body.plan?.levels.map((l) => l.groups.map((g) => g.entity))).toEqual([
      ["item", "user", "item_region"],
      ["user_category"],
    ]);
    expect(body.plan?.levels[1]?.groups[0]?.keys).toEqual(["user_category: userId|item.category"]);
  });

  it("refuses bad uploads and unknown models precisely (.error)", async () => {
    const badGraph = { ...DEMO_GRAPH, columns: [{ node: "item", feature: "embedding" }] };
    await expectError(
      await admin("PUT", "/models/demo-ranker", { model: JSON.parse(MODEL_TEXT), graph: badGraph }),
      400,
      "invalid_parameter",
      "graph: columns[0]: item.embedding is a vector feature",
    );
    await expectError(
      await admin("PUT", "/models/demo-ranker", { model: "tree\nnonsense", graph: DEMO_GRAPH }),
      400,
      "invalid_parameter",
      "lightgbm-text model",
    );
    await expectError(
      await admin("PUT", "/models/Bad%20Id", { model: {}, graph: {} }),
      400,
      "invalid_parameter",
    );
    await expectError(await admin("GET", "/models/nope"), 404, "not_found", "no model nope");
    await expectError(
      await admin("POST", "/models/demo-ranker/activate", { version: 7 }),
      404,
      "not_found",
      "no version 7",
    );
    await expectError(
      await admin("POST", "/models/demo-ranker/rollback"),
      409,
      "conflict",
      "no earlier active version",
    );
  });
});

describe("POST /internal/rank", () => {
  it("ranks by the model's score on the graph's matrix, best first, with timing and debug", async () => {
    const response = await rank({
      modelId: "demo-ranker",
      candidates: CANDIDATES,
      context: CONTEXT,
      debug: true,
    });
    expect(response.status).toBe(200);
    const body = RankResponse.parse(await response.json());
    expect(body.modelVersion).toBe(1);
    expect(body.items).toHaveLength(200);
    expect(body.timing.graphMs).toBeGreaterThanOrEqual(0);
    expect(body.timing.scoringMs).toBeGreaterThanOrEqual(0);
    const debug = body.debug;
    if (!debug) throw new Error("expected debug output");
    expect(debug.columns).toEqual([
      "item.price",
      "item.in_stock",
      "user.history_length",
      "user_category.affinity",
      "item_region.ctr_24h",
      "item_region.views_24h",
    ]);
    expect(debug.reads).toBe(2);
    expect(debug.status[0]?.present).toBe(200);
    // The same matrix through the model as loaded here gives the served scores.
    const matrix = Float32Array.from(debug.rows.flat(), (v) => (v === null ? Number.NaN : v));
    const expected = loadModel(MODEL_TEXT).predict(matrix, 200);
    const byId = new Map(body.items.map((item) => [item.id, item.score]));
    CANDIDATES.forEach((id, r) => {
      expect(byId.get(id)).toBe(expected[r]);
    });
    const scores = body.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(body.items[0]?.reason).toMatch(/^model score /);
  });

  it("serves a newly activated version without restart, and logs the served matrix", async () => {
    const linear = { format: "linear", version: 1, weights: [-1, 0, 0, 0, 0, 0], bias: 0 };
    const put = await admin("PUT", "/models/demo-ranker", {
      model: linear,
      graph: DEMO_GRAPH,
      activate: true,
    });
    expect(await put.json()).toMatchObject({ version: 2, active: 2 });
    const body = RankResponse.parse(
      await (
        await rank({ modelId: "demo-ranker", candidates: CANDIDATES, context: CONTEXT })
      ).json(),
    );
    expect(body.modelVersion).toBe(2);
    expect(body.debug).toBeUndefined();
    // Score = -price: cheapest first, the score being exactly minus the float32 price.
    const prices = body.items.map((item) => -item.score);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(new Set(prices).size).toBeGreaterThan(100);
    const rolled = await admin("POST", "/models/demo-ranker/rollback");
    expect(((await rolled.json()) as { active: number }).active).toBe(1);
    const again = RankResponse.parse(
      await (
        await rank({ modelId: "demo-ranker", candidates: ["i00001"], context: CONTEXT })
      ).json(),
    );
    expect(again.modelVersion).toBe(1);
    await vi.waitFor(
      () => {
        const lines = readFileSync(logPath, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l));
        const ranked = lines.filter((l) => l.modelId === "demo-ranker" && l.modelVersion === "2");
        expect(ranked).toHaveLength(200);
        expect(Object.keys(ranked[0].features)).toContain("item.price");
      },
      { timeout: 5_000, interval: 100 },
    );
  });

  it("answers 404 for an unknown model and 400 for bad candidates (.error)", async () => {
    await expectError(
      await rank({ modelId: "nobody", candidates: ["i00001"], context: CONTEXT }),
      404,
      "not_found",
      "no model nobody",
    );
    for (const [candidates, mentions] of [
      [[], "candidates"],
      [["i00001", "i00001"], "unique"],
      [["a|b"], 'must not contain "|"'],
      [Array.from({ length: 1001 }, (_, i) => `x${i}`), "candidates"],
      [[""], "candidates"],
    ] as const) {
      await expectError(
        await rank({ modelId: "demo-ranker", candidates, context: CONTEXT }),
        400,
        "invalid_parameter",
        mentions,
      );
    }
    await expectError(
      await rank({ modelId: "demo-ranker", candidates: ["i00001"], context: { region: "eu" } }),
      400,
      "invalid_parameter",
      "context.surface",
    );
  });

  it("refuses an unsigned request (.security)", async () => {
    const response = await fetch(`${origin.url}/internal/rank`, { method: "POST", body: "{}" });
    await expectError(response, 401, "unauthorized", "not signed");
  });
});

describe("business rules in rank", () => {
  it("applies the surface's rules after scoring and explains them in the reasons", async () => {
    const put = await admin("PUT", "/rules/pdp", {
      rules: [{ kind: "filter_out_of_stock" }, { kind: "pin", itemId: "i00150", position: 1 }],
    });
    expect(put.status).toBe(200);
    const response = await rank({
      modelId: "demo-ranker",
      candidates: CANDIDATES,
      context: { ...CONTEXT, surface: "pdp" },
    });
    expect(response.status).toBe(200);
    const body = RankResponse.parse(await response.json());
    // The demo catalog marks about 8% of items out of stock: they are gone, the pin leads.
    expect(body.items.length).toBeLessThan(CANDIDATES.length);
    expect(body.items[0]?.id).toBe("i00150");
    expect(body.items[0]?.reason).toContain("pinned at 1");
    const home = RankResponse.parse(
      await (
        await rank({ modelId: "demo-ranker", candidates: CANDIDATES, context: CONTEXT })
      ).json(),
    );
    expect(home.items).toHaveLength(CANDIDATES.length);
  });
});

describe("demo model (seeded)", () => {
  it("ranks with the seeded demo model on a fresh demo origin", async () => {
    const response = await rank({
      modelId: "demo",
      candidates: CANDIDATES.slice(0, 20),
      context: CONTEXT,
    });
    expect(response.status).toBe(200);
    const body = RankResponse.parse(await response.json());
    expect(body.items).toHaveLength(20);
    expect(body.items.every((item) => item.score > 0 && item.score < 1)).toBe(true);
  });
});

describe("a graph the feature registry no longer satisfies", () => {
  it("answers 409 on rank and shows why on GET, instead of serving a wrong matrix (.error)", async () => {
    expect((await admin("PUT", "/features/item/boost", { type: "float", default: 0 })).status).toBe(
      200,
    );
    const graph = {
      nodes: [{ id: "item", entity: "item", key: [{ input: "candidate" }] }],
      columns: [{ node: "item", feature: "boost" }],
    };
    const linear = { format: "linear", version: 1, weights: [1], bias: 0 };
    expect((await admin("PUT", "/models/stale", { model: linear, graph })).status).toBe(200);
    const request = { modelId: "stale", candidates: ["i00001"], context: CONTEXT };
    expect((await rank(request)).status).toBe(200);
    expect((await admin("DELETE", "/features/item/boost")).status).toBe(200);
    await expectError(
      await rank(request),
      409,
      "conflict",
      "no longer matches the feature registry",
    );
    const body = ModelGetResponse.parse(await (await admin("GET", "/models/stale")).json());
    expect(body.plan).toBeNull();
    expect(body.planError).toContain('columns[0]: unknown feature "boost" of entity item');
  });
});

describe("rank when the feature store fails", () => {
  it("answers 503 store_unavailable, not 500, and reports the store error once", async () => {
    const snapshot = buildSnapshot(EMPTY_REGISTRY);
    const graph = {
      nodes: [
        { id: "ir", entity: "item_region", key: [{ input: "candidate" }, { input: "region" }] },
      ],
      columns: [{ node: "ir", feature: "ctr_24h" }],
    };
    const active = {
      id: "m",
      version: 1,
      model: loadModel(JSON.stringify({ format: "linear", version: 1, weights: [1], bias: 0 })),
      graph,
      plan: compileGraph(graph, snapshot),
    };
    const models = { resolve: async () => active, planFor: () => active.plan };
    const failing = {
      getColumns: async () => {
        throw new StoreError("timeout", "batchGet: timed out");
      },
    };
    const seen: StoreError[] = [];
    const error = await rankCandidates(
      {
        models: models as unknown as ModelRegistry,
        features: failing,
        onStoreError: (e) => seen.push(e),
      },
      { modelId: "m", candidates: ["i1"], context: CONTEXT },
      "req-1",
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).code).toBe("store_unavailable");
    expect(seen.map((e) => e.code)).toEqual(["timeout"]);
  });
});
