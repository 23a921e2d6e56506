import { describe, expect, it } from "vitest";
import { RecommendationQuery, type RecommendationResponse } from "#shared/api/recommendations";
import { ApiError } from "#shared/http/api-error";
import { queryMemo } from "../src/http/query-memo.js";
import { recommendationJson } from "../src/http/recommendation-json.js";

/** The cache-hit path's two shortcuts give exactly what the plain code gave. */

describe("recommendationJson", () => {
  const base: Omit<RecommendationResponse, "items"> = {
    requestId: "req-1",
    surface: "home",
    region: "ap-south",
    lens: "business",
    tier: "memory",
    stale: false,
    ageMs: 1234,
    degraded: false,
  };

  it("is byte for byte JSON.stringify of the response, with only the contract's item fields", () => {
    const items = [
      { id: "i00001", score: 0.5, reason: "trending in ap-south" },
      { id: 'odd "id" \\ é', score: -1e-7 },
    ];
    expect(recommendationJson(base, items)).toBe(
      JSON.stringify({
        requestId: base.requestId,
        surface: base.surface,
        region: base.region,
        items: items.map(({ id, score }) => ({ id, score })),
        lens: base.lens,
        tier: base.tier,
        stale: base.stale,
        ageMs: base.ageMs,
        degraded: base.degraded,
      }),
    );
  });

  it("reuses a list's items text but never its per-request fields", () => {
    const items = [{ id: "i00002", score: 1 }];
    const first = JSON.parse(recommendationJson(base, items));
    const second = JSON.parse(
      recommendationJson({ ...base, requestId: "req-2", stale: true, ageMs: 9 }, items),
    );
    expect(second).toMatchObject({ requestId: "req-2", stale: true, ageMs: 9 });
    expect(second.items).toEqual(first.items);
    // An empty list is still a list.
    expect(JSON.parse(recommendationJson(base, [])).items).toEqual([]);
  });
});

describe("queryMemo", () => {
  const url = (query: string) => `http://edge.test/v1/recommendations?${query}`;
  const record = (query: string) => Object.fromEntries(new URLSearchParams(query));

  it("parses a query once and hands the same frozen result to the next request with it", () => {
    const parse = queryMemo(RecommendationQuery, 10);
    let reads = 0;
    const read = (query: string) => () => {
      reads++;
      return record(query);
    };
    const first = parse(url("surface=home&k=5"), read("surface=home&k=5"));
    const again = parse(url("surface=home&k=5"), read("surface=home&k=5"));
    expect(first).toEqual({ surface: "home", k: 5, budgetMs: 50 });
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(reads).toBe(1);
    expect(parse(url("surface=pdp"), read("surface=pdp"))).toMatchObject({ surface: "pdp", k: 10 });
    expect(reads).toBe(2);
  });

  it("refuses bad input every time, remembering nothing for it", () => {
    const parse = queryMemo(RecommendationQuery, 10);
    for (let i = 0; i < 2; i++) {
      expect(() => parse(url("surface=nowhere"), () => record("surface=nowhere"))).toThrow(
        ApiError,
      );
    }
  });

  it("forgets the oldest query past its bound", () => {
    const parse = queryMemo(RecommendationQuery, 2);
    let reads = 0;
    const ask = (query: string) =>
      parse(url(query), () => {
        reads++;
        return record(query);
      });
    ask("surface=home");
    ask("surface=pdp");
    ask("surface=cart");
    expect(reads).toBe(3);
    ask("surface=cart");
    expect(reads).toBe(3);
    ask("surface=home");
    expect(reads).toBe(4);
  });
});
