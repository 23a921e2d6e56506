import { describe, expect, it } from "vitest";
import { RankResponse } from "#shared/api/rank";
import {
  MAX_ORIGIN_CANDIDATES,
  MAX_RECENT_ITEMS,
  OriginRecommendationResponse,
} from "#shared/api/recommendations";
import { expectErrorResponse as expectError } from "../../../shared/test/support/expect-error-response.js";
import { DEMO_MODEL_ID } from "../../src/seed/seed-demo-model.js";
import { adminRequest, signedPost } from "../support/origin-requests.js";
import { useSeededOrigin } from "../support/seeded-origin.js";

const SECRET = "recommendations-api-test-secret";
const ADMIN_TOKEN = "recommendations-admin-token-0123";

const origin = useSeededOrigin("recommendations-api", {
  ORIGIN_SIGNING_SECRET: SECRET,
  REGION: "eu-test",
  ADMIN_TOKEN,
});

const signed = (path: string, body: unknown) => signedPost(origin.url, path, body, SECRET);

const admin = (method: string, path: string, body?: unknown) =>
  adminRequest(origin.url, ADMIN_TOKEN, method, path, body);

const recommendations = (body: Record<string, unknown>) =>
  signed("/internal/recommendations", { surface: "home", k: 10, region: "eu-test", ...body });

describe("origin /internal/recommendations: the ladder over HTTP", () => {
  it("gives a new anonymous visitor in a region nobody has used a full list", async () => {
    const response = await recommendations({ k: 100, region: `fresh-${Date.now()}` });
    expect(response.status).toBe(200);
    const body = OriginRecommendationResponse.parse(await response.json());
    expect(body.items).toHaveLength(100);
    expect(new Set(body.items.map((i) => i.id)).size).toBe(100);
    expect(body.lens).toBe("business");
    expect(body.items.every((i) => i.reason === "popular everywhere")).toBe(true);
  });

  it("ranks through the demo model when an experiment binds it to the surface", async () => {
    const bind = await admin("PUT", "/experiments/pdp", {
      experiment: { salt: "demo", arms: [{ name: "demo", modelId: DEMO_MODEL_ID, weight: 1 }] },
    });
    expect(bind.status).toBe(200);
    const candidates = ["i00001", "i00002", "i00003", "i00004"];
    const response = await recommendations({ surface: "pdp", userId: "u0001", candidates, k: 4 });
    const body = OriginRecommendationResponse.parse(await response.json());
    expect(body).toMatchObject({ model: { id: DEMO_MODEL_ID, version: 1 }, arm: "demo" });
    // The same order and scores as the rank API gives for the same candidates and context.
    const ranked = RankResponse.parse(
      await (
        await signed("/internal/rank", {
          modelId: DEMO_MODEL_ID,
          candidates,
          context: { userId: "u0001", region: "eu-test", surface: "pdp" },
        })
      ).json(),
    );
    expect(body.items.map((i) => [i.id, i.score])).toEqual(
      ranked.items.map((i) => [i.id, i.score]),
    );
    expect(ranked.arm).toBe("demo");
  });

  it("refuses bad candidates and recent items with 400 naming the field (.error)", async () => {
    for (const [fields, mentions] of [
      [{ candidates: [] }, "candidates"],
      [{ candidates: ["i00001", "i00001"] }, "unique"],
      [{ candidates: ["a|b"] }, 'candidates.0: must not contain "|"'],
      [{ candidates: [""] }, "candidates.0"],
      [
        { candidates: Array.from({ length: MAX_ORIGIN_CANDIDATES + 1 }, (_, i) => `x${i}`) },
        "candidates",
      ],
      [{ candidates: "i00001" }, "candidates"],
      [
        { recentItems: Array.from({ length: MAX_RECENT_ITEMS + 1 }, (_, i) => `x${i}`) },
        "recentItems",
      ],
      [{ userId: "x".repeat(200) }, "userId"],
    ] as const) {
      await expectError(await recommendations(fields), 400, "invalid_parameter", mentions);
    }
  });
});

describe("origin /internal/rank: model errors (.error)", () => {
  const context = { region: "eu-test", surface: "cart" };

  it("answers 404 when no model is named and the surface has none, or the model is unknown", async () => {
    await expectError(
      await signed("/internal/rank", { candidates: ["i00001"], context }),
      404,
      "not_found",
      "no modelId given and surface cart has no model",
    );
    await expectError(
      await signed("/internal/rank", { modelId: "ghost", candidates: ["i00001"], context }),
      404,
      "not_found",
      "no model ghost",
    );
    await expectError(
      await signed("/internal/rank", { modelId: "Bad Id", candidates: ["i00001"], context }),
      400,
      "invalid_parameter",
      "modelId",
    );
  });

  it("refuses an experiment pinning a model version that does not exist, so rank never meets it", async () => {
    // (A pin that goes missing anyway is a 404 at rank and the ladder's own order: recommend.suite.)
    await expectError(
      await admin("PUT", "/experiments/search", {
        experiment: {
          salt: "s",
          arms: [{ name: "stale", modelId: DEMO_MODEL_ID, version: 42, weight: 1 }],
        },
      }),
      400,
      "invalid_parameter",
      `experiment.arms.0.version: model "${DEMO_MODEL_ID}" has no version 42`,
    );
    const response = await recommendations({ surface: "search", k: 5 });
    expect(response.status).toBe(200);
    const body = OriginRecommendationResponse.parse(await response.json());
    expect(body.items).toHaveLength(5);
  });
});
