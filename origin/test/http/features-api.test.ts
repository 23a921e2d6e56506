import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  FeatureListResponse,
  FeaturePutResponse,
  FeatureWriteResponse,
} from "#shared/features/admin";
import { FeatureGetResponse } from "#shared/features/serving";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import { isSampled } from "../../src/features/logging/sampling.js";
import type { RunningOrigin } from "../../src/start-origin.js";
import { adminRequest, signedPost } from "../support/origin-requests.js";
import { useTestOrigins } from "../support/test-origins.js";

const SECRET = "features-api-test-secret";
const ADMIN_TOKEN = "features-admin-token-0123456789";
const origins = useTestOrigins("features-api");
const logPath = join(origins.dir, "feature-log.ndjson");
let origin: RunningOrigin;
let disabled: RunningOrigin;

beforeAll(async () => {
  const common = { ORIGIN_SIGNING_SECRET: SECRET, REGION: "eu-test" };
  origin = await origins.start({
    ...common,
    ADMIN_TOKEN,
    FEATURE_LOG_SAMPLE_RATE: "1",
    FEATURE_LOG_PATH: logPath,
    SEED_DEMO_DATA: "true",
  });
  disabled = await origins.start(common, "lmdb-disabled");
});

function admin(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = ADMIN_TOKEN,
  target = origin,
): Promise<Response> {
  return adminRequest(target.url, token, method, path, body);
}

const getFeatures = (body: unknown) =>
  signedPost(origin.url, "/internal/features/get", body, SECRET);

describe("admin API auth (.security)", () => {
  it("refuses a missing or wrong token with 401", async () => {
    await expectError(await admin("GET", "/features", undefined, null), 401, "unauthorized");
    await expectError(
      await admin("GET", "/features", undefined, "wrong-token-of-some-length"),
      401,
      "unauthorized",
      "does not match",
    );
  });

  it("answers 403 on every admin route when no ADMIN_TOKEN is configured", async () => {
    for (const [method, path] of [
      ["GET", "/features"],
      ["PUT", "/features/item/x"],
      ["POST", "/features/write"],
      ["DELETE", "/features/item/x"],
      ["PUT", "/entities/shop"],
    ] as const) {
      await expectError(
        await admin(method, path, method === "GET" ? undefined : {}, ADMIN_TOKEN, disabled),
        403,
        "forbidden",
        "admin API is disabled",
      );
    }
  });

  it("refuses an unsigned feature read", async () => {
    const response = await fetch(`${origin.url}/internal/features/get`, {
      method: "POST",
      body: "{}",
    });
    await expectError(response, 401, "unauthorized", "not signed");
  });
});

describe("admin API and serving over HTTP", () => {
  it("lists the built-in and demo features with the registry version and region", async () => {
    const response = await admin("GET", "/features");
    expect(response.status).toBe(200);
    const body = FeatureListResponse.parse(await response.json());
    expect(body.regions).toContain("eu-test");
    expect(body.entities.find((e) => e.name === "user")?.system).toBe(true);
    const names = body.features.map((f) => `${f.entity}.${f.name}`);
    expect(names).toEqual(expect.arrayContaining(["item.embedding", "user.recent_items"]));
  });

  it("serves the seeded demo features, vectors as plain arrays", async () => {
    const response = await getFeatures({
      requests: [
        { entity: "item", keys: ["i00001", "zzz"], features: ["category", "price", "embedding"] },
        { entity: "user", keys: ["u0001"], features: ["history_length", "recent_items"] },
      ],
    });
    expect(response.status).toBe(200);
    const body = FeatureGetResponse.parse(await response.json());
    const [items, users] = body.results;
    expect(items?.rows[0]?.status).toEqual(["present", "present", "present"]);
    expect(items?.rows[0]?.values[2]).toHaveLength(32);
    expect(items?.rows[1]?.status).toEqual(["default", "missing", "missing"]);
    expect(users?.rows[0]?.status).toEqual(["present", "default"]);
  });

  it("declares an entity and feature, writes rows (bad ones by index) and serves them", async () => {
    const entity = await admin("PUT", "/entities/shop", {
      keyParts: ["shop"],
      description: "A shop",
    });
    expect(entity.status).toBe(200);
    const put = await admin("PUT", "/features/shop/rating", {
      type: "float",
      default: 3,
      ttlSeconds: 3600,
    });
    expect(put.status).toBe(200);
    const stored = FeaturePutResponse.parse(await put.json());
    expect(stored.feature).toMatchObject({ entity: "shop", name: "rating", version: 1 });
    const ts = Date.now() - 7_200_000;
    const write = await admin("POST", "/features/write", {
      entity: "shop",
      rows: [
        { key: "s1", values: { rating: 4.5 } },
        { key: "s2", values: { rating: "great" } },
        { key: "s3", values: { rating: 2 }, ts },
      ],
    });
    expect(write.status).toBe(200);
    const result = FeatureWriteResponse.parse(await write.json());
    expect(result.written).toBe(2);
    expect(result.errors).toEqual([
      { index: 1, reason: "values.rating: expected a number for a float feature" },
    ]);
    const served = FeatureGetResponse.parse(
      await (
        await getFeatures({
          requests: [{ entity: "shop", keys: ["s1", "s2", "s3"], features: ["rating"] }],
        })
      ).json(),
    );
    const rows = served.results[0]?.rows;
    expect(rows?.map((r) => r.status[0])).toEqual(["present", "default", "expired"]);
    expect(rows?.map((r) => r.values[0])).toEqual([4.5, 3, 3]);
    expect(rows?.[2]?.ageMs[0]).toBeGreaterThanOrEqual(7_200_000);
  });

  it("answers refusals with the field and reason", async () => {
    await expectError(
      await admin("PUT", "/features/nope/x", { type: "int" }),
      400,
      "invalid_parameter",
      'unknown entity "nope"',
    );
    await expectError(
      await admin("PUT", "/features/item/price", { type: "string" }),
      409,
      "conflict",
      "stored as float",
    );
    await expectError(
      await admin("DELETE", "/features/user/recent_items"),
      409,
      "conflict",
      "built in",
    );
    await expectError(await admin("DELETE", "/features/item/nope"), 404, "not_found");
    await expectError(await admin("PUT", "/entities/x", "{bad"), 400, "invalid_request", "JSON");
    await expectError(
      await admin("POST", "/features/write", { entity: "ghost", rows: [{}] }),
      400,
      "invalid_parameter",
      'unknown entity "ghost"',
    );
  });

  it("deletes a user feature", async () => {
    await admin("PUT", "/features/shop/temp", { type: "int" });
    const response = await admin("DELETE", "/features/shop/temp");
    expect(response.status).toBe(200);
    const list = FeatureListResponse.parse(await (await admin("GET", "/features")).json());
    expect(list.features.some((f) => f.entity === "shop" && f.name === "temp")).toBe(false);
  });

  it("answers bad serve requests with 400s naming the problem", async () => {
    await expectError(
      await getFeatures({ requests: [{ entity: "nope", keys: ["a"], features: ["x"] }] }),
      400,
      "invalid_parameter",
      'unknown entity "nope"',
    );
    await expectError(
      await getFeatures({ requests: [{ entity: "item", keys: ["a"], features: ["nope"] }] }),
      400,
      "invalid_parameter",
      'unknown feature "nope"',
    );
    await expectError(
      await getFeatures({
        requests: [{ entity: "user_category", keys: ["u1"], features: ["affinity"] }],
      }),
      400,
      "invalid_parameter",
      "has 1 part(s)",
    );
    await expectError(
      await getFeatures({
        requests: [{ entity: "item", keys: Array(1001).fill("i1"), features: ["price"] }],
      }),
      400,
      "invalid_parameter",
      "keys",
    );
  });
});

describe("feature logging for training", () => {
  it("samples by request id, deterministically", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `req-${i}`);
    const sampled = ids.filter((id) => isSampled(id, 0.1));
    expect(sampled.length).toBeGreaterThan(800);
    expect(sampled.length).toBeLessThan(1_200);
    expect(ids.filter((id) => isSampled(id, 0.1))).toEqual(sampled);
    expect(ids.some((id) => isSampled(id, 0))).toBe(false);
    expect(ids.every((id) => isSampled(id, 1))).toBe(true);
  });

  it("appends the served vectors with model and request ids, flushed on stop", async () => {
    const log = { modelId: "ranker", modelVersion: "7", requestId: "log-test-1" };
    const response = await getFeatures({
      requests: [{ entity: "item", keys: ["i00002", "i00003"], features: ["price", "in_stock"] }],
      log,
    });
    expect(response.status).toBe(200);
    const served = FeatureGetResponse.parse(await response.json());
    await origin.stop();
    const lines = readFileSync(logPath, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const mine = lines.filter((line) => line.requestId === "log-test-1");
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ ...log, entity: "item", key: "i00002" });
    expect(mine[0].features).toEqual({
      price: served.results[0]?.rows[0]?.values[0],
      in_stock: served.results[0]?.rows[0]?.values[1],
    });
    expect(typeof mine[0].ts).toBe("number");
  });
});
