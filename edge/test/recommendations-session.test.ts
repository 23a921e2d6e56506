import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RecommendationResponse } from "#shared/api/recommendations";

const BASE = "http://edge.test";

async function recommendations(cookie: string, query: string) {
  const response = await exports.default.fetch(`${BASE}/v1/recommendations?${query}`, {
    headers: { cookie },
  });
  expect(response.status).toBe(200);
  return RecommendationResponse.parse(await response.json());
}

describe("a shopper's own events bump their inference-cache key", () => {
  it("after an event the same request is computed again, not served from the cache", async () => {
    // The first request issues the session cookie; later ones send it back.
    const first = await exports.default.fetch(`${BASE}/v1/recommendations?surface=category`);
    const setCookie = first.headers.get("set-cookie") ?? "";
    const cookie = setCookie.split(";")[0] ?? "";
    expect(cookie).toMatch(/reco_sid=/);
    const query = `surface=category&budgetMs=200&itemId=ctx-${crypto.randomUUID()}`;

    // Until the list is cached (a cold isolate may need a few tries to read the key in time).
    let before = await recommendations(cookie, query);
    for (let attempt = 0; before.tier !== "memory" && attempt < 10; attempt++) {
      before = await recommendations(cookie, query);
    }
    expect(before.tier).toBe("memory");

    const ack = await exports.default.fetch(`${BASE}/v1/events`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({
        events: [
          {
            id: crypto.randomUUID(),
            type: "view",
            sessionId: "page-written-id",
            itemIds: ["i00042"],
            ts: Date.now(),
          },
        ],
      }),
    });
    expect(ack.status).toBe(202);

    const after = await recommendations(cookie, query);
    expect(["origin", "edge"]).toContain(after.tier);
  });
});
