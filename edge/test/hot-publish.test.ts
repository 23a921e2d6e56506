import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HotPublishRequest, HotWireEntry } from "#shared/hot/hot-contract";
import { signRequest } from "#shared/security/request-signing";
import { expectErrorResponse } from "../../shared/test/support/expect-error-response.js";
import type { EdgeBindings } from "../src/env.js";
import { createHotLayer } from "../src/hot/hot-layer.js";

const bindings = env as unknown as EdgeBindings;
const URL_ = "http://edge.test/internal/hot/publish";
const PATIENT = { pullWaitMs: 20_000 };

async function publish(
  body: unknown,
  options: { secret?: string; now?: number; signed?: boolean } = {},
): Promise<Response> {
  const text = JSON.stringify(body);
  const headers =
    options.signed === false
      ? {}
      : await signRequest({
          method: "POST",
          pathWithQuery: "/internal/hot/publish",
          body: text,
          secret: options.secret ?? bindings.ORIGIN_SIGNING_SECRET,
          ...(options.now === undefined ? {} : { now: options.now }),
        });
  return exports.default.fetch(URL_, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: text,
  });
}

function itemEntry(id: string, price: number, observedAt: number): HotWireEntry {
  return {
    kind: "item",
    id,
    value: { category: "published", brand: "b", price, inStock: true },
    version: observedAt,
    updatedAt: observedAt,
    observedAt,
  };
}

describe("POST /internal/hot/publish (the origin's push into the region store)", () => {
  it("writes a signed publish into the region store, where the hot layer reads it", async () => {
    const now = Date.now();
    const body: HotPublishRequest = { entries: [itemEntry("pub-1", 42, now)] };
    const response = await publish(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ applied: 1, poolVersion: null });
    const entry = await createHotLayer(bindings, { config: PATIENT }).get("item", "pub-1");
    expect(entry).toEqual({
      value: { category: "published", brand: "b", price: 42, inStock: true },
      version: now,
      updatedAt: now,
    });
  });

  it("never steps back: a publish observed before the stored one is ignored", async () => {
    const now = Date.now();
    await publish({ entries: [itemEntry("pub-2", 2, now)] });
    const late = await publish({ entries: [itemEntry("pub-2", 1, now - 1_000)] });
    expect(await late.json()).toEqual({ applied: 0, poolVersion: null });
    const entry = await createHotLayer(bindings, { config: PATIENT }).get("item", "pub-2");
    expect(entry?.value).toMatchObject({ price: 2 });
  });

  it("refuses unsigned, forged and expired publishes with 401", async () => {
    const body = { entries: [itemEntry("pub-3", 3, Date.now())] };
    await expectErrorResponse(await publish(body, { signed: false }), 401, "unauthorized");
    await expectErrorResponse(
      await publish(body, { secret: "not-the-origin-secret-at-all" }),
      401,
      "unauthorized",
    );
    await expectErrorResponse(
      await publish(body, { now: Date.now() - 10 * 60_000 }),
      401,
      "unauthorized",
    );
    expect(
      await createHotLayer(bindings, { config: PATIENT }).get("item", "pub-3"),
    ).toBeUndefined();
  });

  it("a pool announcement makes the region store fetch the origin's pool before answering", async () => {
    const store = bindings.HOT_STORE.get(bindings.HOT_STORE.idFromName("edge-test"));
    const before = await store.stats();
    // A version the store does not hold: it pulls, and answers the version it now holds (the origin's).
    const response = await publish({
      entries: [],
      pool: { version: 1, updatedAt: Date.now(), bytes: 10 },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { poolVersion: number | null };
    expect(body.poolVersion).toEqual(expect.any(Number));
    expect(body.poolVersion).toBeGreaterThan(0);
    expect((await store.stats()).poolPulls).toBeGreaterThan(before.poolPulls);
  });

  it("answers 400 for a signed body outside the contract", async () => {
    await expectErrorResponse(
      await publish({ entries: [{ kind: "nope", id: "x" }] }),
      400,
      "invalid_parameter",
    );
  });
});

describe("retrieval pool through the hot layer", () => {
  it("pulls the origin's pool into the region store and decodes it once per version", async () => {
    const layer = createHotLayer(bindings, { config: PATIENT });
    const pool = await layer.pool();
    expect(pool).toBeDefined();
    expect(pool?.dim).toBe(32);
    expect(pool?.count).toBeGreaterThan(1_000);
    expect(pool?.ids).toContain("i00001");
    expect(pool?.meta?.categories.length).toBeGreaterThan(1);
    expect(await layer.pool()).toBe(pool);
    expect(layer.stats.poolLoads).toBe(1);
  });
});
