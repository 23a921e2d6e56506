import { beforeAll, describe, expect, it, vi } from "vitest";
import { ExperimentDocument } from "#shared/experiments/experiment-config";
import { RulesDocument } from "#shared/rules/rules-config";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import type { RunningOrigin } from "../../src/start-origin.js";
import { adminRequest } from "../support/origin-requests.js";
import { useTestOrigins } from "../support/test-origins.js";

const SECRET = "rules-api-test-secret-0";
const ADMIN_TOKEN = "rules-admin-token-0123456789";
const origins = useTestOrigins("rules-api");
let origin: RunningOrigin;
let second: RunningOrigin;
let disabled: RunningOrigin;

const config = (extra: Record<string, string>) => ({
  ORIGIN_SIGNING_SECRET: SECRET,
  FEATURE_LOG_SAMPLE_RATE: "0",
  // Short poll so the second process's pickup is quick to observe.
  FEATURE_REGISTRY_POLL_MS: "20",
  ...extra,
});

beforeAll(async () => {
  origin = await origins.start(config({ ADMIN_TOKEN }));
  // A second process on the same LMDB environment, like a second origin on one Aerospike cluster.
  second = await origins.start(config({ ADMIN_TOKEN }));
  disabled = await origins.start(config({}), "lmdb-disabled");
  // Rules name item features; uploads are checked against the registry.
  for (const [name, type] of [
    ["category", "string"],
    ["brand", "string"],
    ["in_stock", "bool"],
    ["price", "float"],
  ] as const) {
    const response = await admin("PUT", `/features/item/${name}`, { type });
    expect(response.status).toBe(200);
  }
  // Experiment arms must name model versions the registry holds: "ranker" v1 and v2.
  for (const weight of [0.001, -0.001]) {
    const response = await admin("PUT", "/models/ranker", {
      model: { format: "linear", version: 1, weights: [weight], bias: 0, link: "identity" },
      graph: {
        nodes: [{ id: "item", entity: "item", key: [{ input: "candidate" }] }],
        columns: [{ node: "item", feature: "price" }],
      },
    });
    expect(response.status).toBe(200);
  }
});
function admin(
  method: string,
  path: string,
  body?: unknown,
  { token = ADMIN_TOKEN as string | null, target = origin } = {},
): Promise<Response> {
  return adminRequest(target.url, token, method, path, body);
}

const RULES = [
  { kind: "filter_out_of_stock" },
  { kind: "filter_blocked", feature: "brand", values: ["shady"] },
  {
    kind: "boost",
    name: "diwali",
    when: { feature: "category", op: "in", values: ["lamps"] },
    weight: 1.5,
    active: { start: "2026-11-01T00:00:00Z", end: "2026-11-15T00:00:00+05:30" },
  },
  { kind: "pin", itemId: "i00042", position: 1 },
  { kind: "diversity", feature: "category", maxPerValue: 3, topK: 10 },
];

describe("rules admin API (.happy)", () => {
  it("answers version 0 with no rules for a surface never set", async () => {
    const response = await admin("GET", "/rules/search");
    expect(response.status).toBe(200);
    expect(RulesDocument.parse(await response.json())).toMatchObject({ version: 0, rules: [] });
  });

  it("stores rules, answers them back, and a second process picks them up", async () => {
    const put = await admin("PUT", "/rules/home", { rules: RULES });
    expect(put.status).toBe(200);
    const stored = RulesDocument.parse(await put.json());
    expect(stored).toMatchObject({ surface: "home", version: 1 });
    // Defaults are filled in, so what is stored says exactly what runs.
    expect(stored.rules[0]).toEqual({ kind: "filter_out_of_stock", feature: "in_stock" });

    const get = await admin("GET", "/rules/home");
    expect(RulesDocument.parse(await get.json())).toEqual(stored);
    await vi.waitFor(
      async () => {
        const other = await admin("GET", "/rules/home", undefined, { target: second });
        expect(RulesDocument.parse(await other.json()).version).toBe(1);
      },
      { timeout: 5_000 },
    );
  });

  it("changes with expectVersion, and refuses a stale one with 409", async () => {
    const ok = await admin("PUT", "/rules/pdp", { rules: [], expectVersion: 0 });
    expect(RulesDocument.parse(await ok.json()).version).toBe(1);
    await expectError(
      await admin("PUT", "/rules/pdp", { rules: RULES, expectVersion: 0 }),
      409,
      "conflict",
      "expectVersion: the stored version is 1, not 0",
    );
  });
});

describe("rules admin API (.error)", () => {
  it("names the rule index and field of an invalid rule", async () => {
    await expectError(
      await admin("PUT", "/rules/home", {
        rules: [
          { kind: "filter_purchased" },
          { kind: "boost", when: { feature: "brand", op: "eq", value: "x" }, weight: 0 },
        ],
      }),
      400,
      "invalid_parameter",
      "rules.1.weight:",
    );
    await expectError(
      await admin("PUT", "/rules/home", {
        rules: [
          { kind: "pin", itemId: "a", position: 1 },
          { kind: "pin", itemId: "b", position: 1 },
        ],
      }),
      400,
      "invalid_parameter",
      "rules.1.position: position already taken by rule 0",
    );
  });

  it("refuses features the registry does not declare, or of a type the rule cannot read", async () => {
    await expectError(
      await admin("PUT", "/rules/home", {
        rules: [
          { kind: "filter_purchased" },
          { kind: "boost", when: { feature: "colour", op: "eq", value: "red" }, weight: 2 },
          { kind: "bury", when: { feature: "brand", op: "range", min: 3 }, weight: 0.5 },
          { kind: "filter_out_of_stock", feature: "price" },
        ],
      }),
      400,
      "invalid_parameter",
      'rules.1.when.feature: unknown item feature "colour"; ' +
        'rules.2.when.feature: item feature "brand" is string; this rule needs int or float; ' +
        'rules.3.feature: item feature "price" is float; this rule needs bool',
    );
  });

  it("refuses an unknown surface, a body that is not JSON, and a missing rules list", async () => {
    await expectError(await admin("GET", "/rules/attic"), 400, "invalid_parameter", "(root):");
    await expectError(await admin("PUT", "/rules/home", "{nope"), 400, "invalid_request");
    await expectError(await admin("PUT", "/rules/home", {}), 400, "invalid_parameter", "rules:");
  });
});

describe("experiments admin API", () => {
  const experiment = {
    salt: "home-1",
    arms: [
      { name: "control", modelId: "ranker", version: 1, weight: 90 },
      { name: "treat", modelId: "ranker", version: 2, weight: 10 },
    ],
  };

  it("answers 404 for a surface with no experiment", async () => {
    await expectError(await admin("GET", "/experiments/cart"), 404, "not_found", "cart");
  });

  it("stores an experiment and answers it back (.happy)", async () => {
    const put = await admin("PUT", "/experiments/home", { experiment });
    expect(put.status).toBe(200);
    const stored = ExperimentDocument.parse(await put.json());
    expect(stored).toMatchObject({ surface: "home", version: 1, experiment });
    const get = await admin("GET", "/experiments/home");
    expect(ExperimentDocument.parse(await get.json())).toEqual(stored);
  });

  it("refuses arms naming a model or a version the registry does not hold (.error)", async () => {
    await expectError(
      await admin("PUT", "/experiments/home", {
        experiment: { ...experiment, arms: [{ ...experiment.arms[0], modelId: "nobody" }] },
      }),
      400,
      "invalid_parameter",
      'experiment.arms.0.modelId: no model "nobody" in the registry',
    );
    await expectError(
      await admin("PUT", "/experiments/home", {
        experiment: {
          ...experiment,
          arms: [experiment.arms[0], { ...experiment.arms[1], version: 9 }],
        },
      }),
      400,
      "invalid_parameter",
      'experiment.arms.1.version: model "ranker" has no version 9',
    );
  });

  it("refuses duplicate arm names and non-positive weights, naming the arm (.error)", async () => {
    await expectError(
      await admin("PUT", "/experiments/home", {
        experiment: { ...experiment, arms: [experiment.arms[0], experiment.arms[0]] },
      }),
      400,
      "invalid_parameter",
      'experiment.arms.1.name: duplicate arm name "control"',
    );
    await expectError(
      await admin("PUT", "/experiments/home", {
        experiment: { ...experiment, arms: [{ ...experiment.arms[0], weight: -5 }] },
      }),
      400,
      "invalid_parameter",
      "experiment.arms.0.weight:",
    );
  });
});

describe("admin auth (.security)", () => {
  it("refuses a missing or wrong token with 401", async () => {
    for (const [method, path] of [
      ["GET", "/rules/home"],
      ["PUT", "/rules/home"],
      ["GET", "/experiments/home"],
      ["PUT", "/experiments/home"],
    ] as const) {
      const body = method === "PUT" ? { rules: [] } : undefined;
      await expectError(await admin(method, path, body, { token: null }), 401, "unauthorized");
      await expectError(
        await admin(method, path, body, { token: "wrong-token-of-some-length" }),
        401,
        "unauthorized",
      );
    }
    const unchanged = await admin("GET", "/rules/cart");
    expect(RulesDocument.parse(await unchanged.json()).version).toBe(0);
  });

  it("answers 403 when the admin API is disabled", async () => {
    await expectError(
      await admin("PUT", "/rules/home", { rules: [] }, { target: disabled }),
      403,
      "forbidden",
      "admin API is disabled",
    );
    await expectError(
      await admin("GET", "/experiments/home", undefined, { target: disabled }),
      403,
      "forbidden",
    );
  });
});
