import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OriginRecommendationRequest } from "#shared/api/recommendations";
import { RulesPutRequest } from "#shared/rules/rules-config";
import { rankCandidates } from "../../src/proxy/rank-candidates.js";
import { MIN_POOL, recommend } from "../../src/recommend/recommend.js";
import type { StoreTarget } from "../features/support/store-targets.js";
import { apiRefusal } from "../support/api-refusal.js";
import {
  ITEMS,
  type LadderWorld,
  openLadderWorld,
  PRICE_GRAPH,
  priceModel,
} from "./support/ladder-world.js";

/**
 * The fallback ladder (`recommend`) and experiments in rank, against one real
 * store: stream features come from real events, models from the registry.
 */
export function recommendSuite(target: StoreTarget): void {
  let world: LadderWorld;
  let requestNo = 0;

  beforeAll(async () => {
    world = await openLadderWorld(target);
  });
  afterAll(async () => {
    await world?.close();
  });

  function ask(fields: Partial<OriginRecommendationRequest>) {
    requestNo++;
    return recommend(
      world.deps,
      { surface: "home", k: 10, region: world.name("rg"), ...fields },
      `req-${world.id}-${requestNo}`,
    );
  }

  describe(`fallback ladder (${target.name})`, () => {
    it("gives a new anonymous visitor in an empty region a full list from the global list", async () => {
      const body = await ask({ k: 25, region: world.name("new") });
      expect(body.lens).toBe("business");
      expect(body.items.map((i) => i.id)).toEqual(world.popular.slice(0, 25));
      expect(body.items.every((i) => i.reason === "popular everywhere")).toBe(true);
      // Best first, and no model scored it.
      const scores = body.items.map((i) => i.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(body.model).toBeUndefined();
      // Its age is the popularity list's, which the edge reports as ageMs.
      expect(body.computedAt).toBe(world.popularComputedAt);
    });

    it("puts the region's trending items first for an anonymous visitor there", async () => {
      const region = world.name("tr");
      const hot = [world.item(40), world.item(41)];
      // item 41 twice, so it trends above item 40.
      await world.events("view", {
        sessionId: world.name("s-tr1"),
        itemIds: [hot[1] as string],
        region,
      });
      await world.events("view", {
        sessionId: world.name("s-tr2"),
        itemIds: [hot[1] as string],
        region,
      });
      await world.events("view", {
        sessionId: world.name("s-tr3"),
        itemIds: [hot[0] as string],
        region,
      });
      const body = await ask({ region, k: 10 });
      expect(body.lens).toBe("business");
      expect(body.items.slice(0, 2).map((i) => i.id)).toEqual([hot[1], hot[0]]);
      expect(body.items[0]?.reason).toBe(`trending in ${region}`);
      expect(body.items).toHaveLength(10);
    });

    it("answers from the session (co-visitation) when the session has items, never proposing them", async () => {
      const region = world.name("cv");
      // Another shopper saw 5 then 7 then 9: 7 and 9 are co-visited with 5.
      const other = world.name("s-other");
      for (const n of [5, 7, 9]) {
        await world.events("view", { sessionId: other, itemIds: [world.item(n)], region });
      }
      const session = world.name("s-me");
      await world.events("view", { sessionId: session, itemIds: [world.item(5)], region });
      const body = await ask({ region, sessionId: session, k: 12 });
      expect(body.lens).toBe("request");
      // Live signals: computed now, not as old as the popularity list.
      expect(body.computedAt).toBeGreaterThan(world.popularComputedAt + 30_000);
      const ids = body.items.map((i) => i.id);
      expect(new Set(ids.slice(0, 2))).toEqual(new Set([world.item(7), world.item(9)]));
      expect(body.items[0]?.reason).toBe(`co-visited with ${world.item(5)}`);
      expect(ids).not.toContain(world.item(5));
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
    });

    it("uses the edge's recent items as session signals when the store has none for the session", async () => {
      const region = world.name("cv");
      const body = await ask({ region, recentItems: [world.item(5)], k: 5 });
      expect(body.lens).toBe("request");
      expect(new Set(body.items.slice(0, 2).map((i) => i.id))).toEqual(
        new Set([world.item(7), world.item(9)]),
      );
      // After co-visitation, the same category as the session's item (c2: 5 % 3).
      const third = body.items[2];
      expect(third?.reason).toMatch(/^same category as this session/);
      expect(Number(third?.id.slice(1).split("-")[0]) % 3).toBe(5 % 3);
    });

    it("falls to the user lens for a signed-in shopper with history and no session signal", async () => {
      const region = world.name("us");
      const user = world.name("u-hist");
      // The user's history is item 10 (category c1); nobody co-visited it in this region.
      await world.events("view", { userId: user, itemIds: [world.item(10)], region });
      const body = await ask({ region, userId: user, k: 6 });
      expect(body.lens).toBe("user");
      const first = body.items[0];
      expect(first?.reason).toMatch(/^a category you like/);
      expect(Number(first?.id.slice(1).split("-")[0]) % 3).toBe(10 % 3);
      expect(body.items).toHaveLength(6);
    });

    it("re-ranks the edge's candidates and applies the surface's rules when there is no model", async () => {
      const candidates = [world.item(3), world.item(4), world.item(5)];
      await world.rules.put(
        "cart",
        RulesPutRequest.parse({ rules: [{ kind: "pin", itemId: world.item(5), position: 1 }] })
          .rules,
      );
      const body = await ask({ surface: "cart", candidates, k: 3 });
      expect(body.items.map((i) => i.id)).toEqual([world.item(5), world.item(3), world.item(4)]);
      expect(body.items[0]?.reason).toContain("retrieved at the edge");
      expect(body.items[0]?.reason).toContain("pinned at 1");
      // No session or history behind them: the edge could only have retrieved business items.
      expect(body.lens).toBe("business");
      const withSession = await ask({
        surface: "cart",
        candidates,
        recentItems: [world.item(9)],
        k: 3,
      });
      expect(withSession.lens).toBe("request");
      // Topped up from the ladder when the edge sends fewer than k.
      const short = await ask({ surface: "cart", candidates: [world.item(3)], k: 5 });
      expect(short.items).toHaveLength(5);
      expect(short.items.map((i) => i.id)).toContain(world.item(3));
      await expect(ask({ candidates: [world.item(1), world.item(1)] })).rejects.toThrow("unique");
    });
  });

  describe(`surface models and experiments (${target.name})`, () => {
    let dear: number;
    let cheap: number;
    const model = () => `price-${world.id}`.slice(0, 64).toLowerCase();

    beforeAll(async () => {
      // v1 favours dear items, v2 cheap ones: which version scored is visible in the order.
      dear = (await world.models.upload(model(), { model: priceModel(0.1), graph: PRICE_GRAPH }))
        .version;
      cheap = (await world.models.upload(model(), { model: priceModel(-0.1), graph: PRICE_GRAPH }))
        .version;
    });

    it("ranks the ladder's pool with the surface's model, following activation and rollback", async () => {
      await world.experiments.put("pdp", {
        salt: "bind",
        arms: [{ name: "default", modelId: model(), weight: 1 }],
      });
      const pool = [world.item(2), world.item(30), world.item(15)];
      const first = await ask({ surface: "pdp", candidates: pool, k: 3 });
      expect(first.model).toEqual({ id: model(), version: dear });
      expect(first.arm).toBe("default");
      expect(first.items.map((i) => i.id)).toEqual([world.item(30), world.item(15), world.item(2)]);
      expect(first.items[0]?.score).toBeCloseTo(1 / (1 + Math.exp(-0.1 * 31)), 6);
      expect(first.items[0]?.reason).toMatch(/^retrieved at the edge; model score/);

      await world.models.activate(model(), cheap);
      const second = await ask({ surface: "pdp", candidates: pool, k: 3 });
      expect(second.model).toEqual({ id: model(), version: cheap });
      expect(second.items.map((i) => i.id)).toEqual([
        world.item(2),
        world.item(15),
        world.item(30),
      ]);

      await world.models.rollback(model());
      const third = await ask({ surface: "pdp", candidates: pool, k: 3 });
      expect(third.model).toEqual({ id: model(), version: dear });
      // The whole ladder, not only edge candidates: a new visitor's pool is ranked too.
      const fresh = await ask({ surface: "pdp", region: world.name("mdl"), k: 10 });
      expect(fresh.model?.version).toBe(dear);
      expect(fresh.lens).toBe("business");
      expect(fresh.items).toHaveLength(10);
      const prices = fresh.items.map((i) => Number(i.id.slice(1).split("-")[0]));
      expect([...prices].sort((a, b) => b - a)).toEqual(prices);
      // The pool is the global list's first MIN_POOL items (0..49); the dearest of them leads.
      expect(prices[0]).toBe(Math.min(ITEMS, MIN_POOL) - 1);
    });

    it("splits users between versions by the configured weights, sticky per user", async () => {
      await world.experiments.put("search", {
        salt: `split-${world.id}`,
        arms: [
          { name: "control", modelId: model(), version: dear, weight: 70 },
          { name: "treat", modelId: model(), version: cheap, weight: 30 },
        ],
      });
      const candidates = [world.item(0), world.item(20), world.item(50)];
      const counts = { control: 0, treat: 0 };
      const units = 600;
      const armOf = new Map<string, string>();
      for (let u = 0; u < units; u++) {
        const userId = `u${u}-${world.id}`;
        const body = await rankCandidates(
          { models: world.models, features: world.features.server, experiments: world.experiments },
          { candidates, context: { userId, region: "eu", surface: "search" } },
          `split-${u}`,
        );
        const arm = body.arm as "control" | "treat";
        counts[arm]++;
        armOf.set(userId, arm);
        // The arm's version is what scored: dear-first for control, cheap-first for treat.
        expect(body.modelVersion).toBe(arm === "control" ? dear : cheap);
        expect(body.items[0]?.id).toBe(arm === "control" ? world.item(50) : world.item(0));
      }
      // 70/30 within ±6 points over 600 hashed ids (≈ 3 standard deviations).
      expect(Math.abs(counts.control / units - 0.7)).toBeLessThan(0.06);
      // Same id, same arm: in rank and in recommendations (by user id, else session id).
      for (const userId of [...armOf.keys()].slice(0, 20)) {
        const again = await ask({ surface: "search", userId, candidates, k: 3 });
        expect(again.arm).toBe(armOf.get(userId));
        expect(again.model?.version).toBe(armOf.get(userId) === "control" ? dear : cheap);
      }
      const bySession = await ask({ surface: "search", sessionId: "sess-1", candidates, k: 3 });
      const bySessionAgain = await ask({
        surface: "search",
        sessionId: "sess-1",
        candidates,
        k: 3,
      });
      expect(bySession.arm).toBeDefined();
      expect(bySessionAgain.arm).toBe(bySession.arm);
    });

    it("writes the arm, model and version into the feature log", async () => {
      const body = await ask({ surface: "search", userId: `u1-${world.id}`, k: 3 });
      const lines = await world.logLines();
      const mine = lines.filter(
        (l) => l.arm === body.arm && l.modelVersion === String(body.model?.version),
      );
      expect(mine.length).toBeGreaterThan(0);
      expect(mine[0]).toMatchObject({ modelId: model(), entity: "rank" });
      expect(Object.keys(mine[0]?.features as object)).toEqual(["item.price"]);
    });

    it("refuses unknown models and versions precisely (.error)", async () => {
      const context = { region: "eu", surface: "home" as const };
      const deps = {
        models: world.models,
        features: world.features.server,
        experiments: world.experiments,
      };
      const unknown = await apiRefusal(
        rankCandidates(deps, { modelId: "nobody", candidates: ["x"], context }, "e1"),
      );
      expect([unknown.status, unknown.code, unknown.message]).toEqual([
        404,
        "not_found",
        "no model nobody",
      ]);
      const noSurfaceModel = await apiRefusal(
        rankCandidates(deps, { candidates: ["x"], context }, "e2"),
      );
      expect(noSurfaceModel.message).toBe("no modelId given and surface home has no model");
      await world.experiments.put("category", {
        salt: "v",
        arms: [{ name: "ghost", modelId: model(), version: 99, weight: 1 }],
      });
      const version = await apiRefusal(
        rankCandidates(
          deps,
          { candidates: ["x"], context: { ...context, surface: "category" } },
          "e3",
        ),
      );
      expect([version.status, version.message]).toEqual([
        404,
        `model ${model()} has no version 99`,
      ]);
      // The ladder does not fail on a broken experiment: it serves its own order.
      const body = await ask({ surface: "category", k: 4 });
      expect(body.items).toHaveLength(4);
      expect(body.model).toBeUndefined();
    });
  });
}
