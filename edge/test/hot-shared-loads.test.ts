import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signRequest } from "#shared/security/request-signing";
import { expectErrorResponse } from "../../shared/test/support/expect-error-response.js";
import type { EdgeBindings } from "../src/env.js";
import { createHotLayer, type HotLayerStats, hotLayer } from "../src/hot/hot-layer.js";
import type { RegionHotStore } from "../src/hot/region-hot-store.js";

const bindings = env as unknown as EdgeBindings;
/** Reads in these tests may wait for the real origin as long as they need (a loaded box is slow). */
const PATIENT = { pullWaitMs: 20_000 };

interface PoolState {
  pool: { version: number; count: number; dim: number } | null;
  stats: HotLayerStats;
}

/** `POST /internal/hot/pool-state` as its own request into the worker (its own request context). */
async function postPoolState(body: string, signed = true): Promise<Response> {
  const headers = signed
    ? await signRequest({
        method: "POST",
        pathWithQuery: "/internal/hot/pool-state",
        body,
        secret: bindings.ORIGIN_SIGNING_SECRET,
      })
    : {};
  return exports.default.fetch("http://edge.test/internal/hot/pool-state", {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
  });
}

async function poolState(waitMs: number): Promise<PoolState> {
  const response = await postPoolState(JSON.stringify({ waitMs }));
  expect(response.status).toBe(200);
  return (await response.json()) as PoolState;
}

function regionStore(): DurableObjectStub<RegionHotStore> {
  return bindings.HOT_STORE.get(bindings.HOT_STORE.idFromName("edge-test"));
}

type CallFate = "answer" | "hang" | "fail";

/**
 * Bindings whose region store `method` calls go as `fate(n)` says (n from 1):
 * "hang" never settles, what a caller sees when it awaits I/O that belonged to
 * a request which has since ended (workerd cancels it); "fail" rejects, as an
 * unreachable store does; "answer" reaches the real store.
 */
function bindingsWhereStoreCalls(
  method: "getMany" | "pool",
  fate: (call: number) => CallFate,
): { env: EdgeBindings; calls: () => number } {
  let calls = 0;
  const namespace = bindings.HOT_STORE;
  const wrapped = {
    idFromName: (name: string) => namespace.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = namespace.get(id);
      return new Proxy(stub, {
        get(target, property) {
          if (property !== method) return Reflect.get(target, property);
          return (...args: unknown[]) => {
            calls++;
            const outcome = fate(calls);
            if (outcome === "hang") return new Promise(() => {});
            if (outcome === "fail") return Promise.reject(new Error("region store unreachable"));
            return (target[method] as (...a: unknown[]) => unknown)(...args);
          };
        },
      });
    },
  };
  return {
    env: { ...bindings, HOT_STORE: wrapped as unknown as EdgeBindings["HOT_STORE"] },
    calls: () => calls,
  };
}

function bindingsWhereFirstCallsHang(
  method: "getMany" | "pool",
  hangFirst: number,
): { env: EdgeBindings; calls: () => number } {
  return bindingsWhereStoreCalls(method, (call) => (call <= hangFirst ? "hang" : "answer"));
}

describe("pool loads shared between requests", () => {
  it("a pool load left behind by a request that already answered does not leave the next request without the pool", async () => {
    // The region store holds the pool, so a load is one RPC from this isolate to it.
    const head = await regionStore().pool(null, { waitMs: 20_000 });
    expect(head?.head.version).toEqual(expect.any(Number));

    // Request A starts the isolate's first pool load and answers before it settles.
    const first = await poolState(0);
    expect(first.pool).toBeNull();
    expect(first.stats.poolChecks).toBe(1);

    // Request B (and this test's own context) must still get the pool.
    const second = await poolState(20_000);
    expect(second.pool).toMatchObject({ version: head?.head.version, dim: 32 });
    // B found A's load dead (A's request took it along) and loaded the pool itself.
    expect(second.stats.abandonedLoads).toBe(1);
    expect(second.stats.poolChecks).toBe(2);
    expect(second.pool?.count).toBeGreaterThan(1_000);
    const pool = await hotLayer(bindings).pool();
    expect(pool?.count).toBe(second.pool?.count);
  });

  it("entry reads of requests that are still running join each other instead of being given up", async () => {
    const before = (await poolState(0)).stats;
    const read = async () => {
      const body = JSON.stringify({ kind: "item", ids: ["i00310"] });
      const headers = await signRequest({
        method: "POST",
        pathWithQuery: "/internal/hot/read",
        body,
        secret: bindings.ORIGIN_SIGNING_SECRET,
      });
      const response = await exports.default.fetch("http://edge.test/internal/hot/read", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body,
      });
      return (await response.json()) as { entries: Record<string, { value: unknown }> };
    };
    const answers = await Promise.all([read(), read(), read(), read()]);
    for (const answer of answers) {
      expect(answer.entries.i00310?.value).toMatchObject({ category: expect.any(String) });
    }
    const after = (await poolState(0)).stats;
    // Four requests, fewer store reads: the others joined one in flight, and none was given up.
    expect(after.storeReads - before.storeReads).toBeLessThan(4);
    expect(after.joinedReads - before.joinedReads).toBeGreaterThanOrEqual(1);
    expect(after.abandonedLoads).toBe(before.abandonedLoads);
  });

  it("decodes the pool once per version per isolate, however many requests read it", async () => {
    const layer = hotLayer(bindings);
    const pool = await layer.pool();
    expect(pool).toBeDefined();
    const decoded = layer.stats.poolLoads;
    for (let i = 0; i < 5; i++) {
      expect((await poolState(20_000)).pool?.count).toBe(pool?.count);
    }
    expect(await layer.pool()).toBe(pool);
    expect(layer.stats.poolLoads).toBe(decoded);
  });

  it("re-checks the version past the memory tier's staleness without decoding it again", async () => {
    let now = 5_000_000;
    const layer = createHotLayer(bindings, { config: PATIENT, now: () => now });
    const pool = await layer.pool();
    expect(pool).toBeDefined();
    expect(layer.stats.poolLoads).toBe(1);
    now += 60_000;
    // Stale: the held pool is served at once and its version re-checked in the background.
    expect(await layer.pool()).toBe(pool);
    await layer.settled();
    expect(await layer.pool()).toBe(pool);
    expect(layer.stats.poolLoads).toBe(1);
    expect(layer.stats.poolChecks).toBeGreaterThanOrEqual(2);
  });

  it("keeps serving the held pool while the store cannot be read, checking once per staleness period", async () => {
    let now = 7_000_000;
    const failing = bindingsWhereStoreCalls("pool", (call) => (call === 1 ? "answer" : "fail"));
    const layer = createHotLayer(failing.env, { config: PATIENT, now: () => now });
    const pool = await layer.pool();
    expect(pool).toBeDefined();
    now += 60_000;
    for (let i = 0; i < 3; i++) {
      expect(await layer.pool()).toBe(pool);
      await layer.settled();
    }
    // One failed check for the three stale reads, then the next one a staleness period later.
    expect(failing.calls()).toBe(2);
    expect(layer.stats.storeFailures).toBe(1);
    now += 60_000;
    expect(await layer.pool()).toBe(pool);
    await layer.settled();
    expect(failing.calls()).toBe(3);
  });

  it("concurrent first reads share one load and one decode", async () => {
    const layer = createHotLayer(bindings, { config: PATIENT });
    const pools = await Promise.all([layer.pool(), layer.pool(), layer.pool()]);
    expect(pools[0]).toBeDefined();
    expect(pools[1]).toBe(pools[0]);
    expect(pools[2]).toBe(pools[0]);
    expect(layer.stats.poolChecks).toBe(1);
    expect(layer.stats.poolLoads).toBe(1);
  });

  it("a shared pool load that never settles is given up at its bound and loaded again", async () => {
    const hanging = bindingsWhereFirstCallsHang("pool", 1);
    const layer = createHotLayer(hanging.env, { config: { pullWaitMs: 100 } });
    const [a, b] = await Promise.all([layer.pool(), layer.pool()]);
    expect(a?.count).toBeGreaterThan(1_000);
    expect(b).toBe(a);
    expect(hanging.calls()).toBe(2);
    expect(layer.stats.abandonedLoads).toBe(1);
  });
});

describe("POST /internal/hot/pool-state (operators)", () => {
  it("refuses unsigned requests and bad bodies with a stable 4xx", async () => {
    await expectErrorResponse(await postPoolState("{}", false), 401, "unauthorized");
    await expectErrorResponse(await postPoolState("not json"), 400, "invalid_request");
    await expectErrorResponse(
      await postPoolState(JSON.stringify({ waitMs: -1 })),
      400,
      "invalid_parameter",
    );
    await expectErrorResponse(
      await postPoolState(JSON.stringify({ waitMs: 10, extra: true })),
      400,
      "invalid_parameter",
    );
  });
});

describe("entry misses merged across concurrent reads", () => {
  it("concurrent misses for the same id make one region store read", async () => {
    const layer = createHotLayer(bindings, { config: PATIENT });
    const [a, b, c, d] = await Promise.all([
      layer.getMany("item", ["i00300"]),
      layer.getMany("item", ["i00300"]),
      layer.get("item", "i00300"),
      layer.getMany("item", ["i00300", "i00301"]),
    ]);
    expect(a.get("i00300")?.value).toMatchObject({ category: expect.any(String) });
    expect(b.get("i00300")).toEqual(a.get("i00300"));
    expect(c).toEqual(a.get("i00300"));
    expect(d.get("i00300")).toEqual(a.get("i00300"));
    expect(d.get("i00301")?.value).toMatchObject({ category: expect.any(String) });
    // One read for i00300 (joined by the next three), one for i00301 alone.
    expect(layer.stats.storeReads).toBe(2);
    expect(layer.stats.joinedReads).toBe(3);
  });

  it("a joined read that never settles (its request ended) is given up at its bound and read again", async () => {
    const hanging = bindingsWhereFirstCallsHang("getMany", 1);
    const layer = createHotLayer(hanging.env, { config: { pullWaitMs: 100 } });
    const first = layer.getMany("item", ["i00302"]);
    const second = layer.getMany("item", ["i00302", "i00303"]);
    const [a, b] = await Promise.all([first, second]);
    // The reader whose own RPC hung gets what the retry found, or nothing: never a hang.
    expect(b.get("i00302")?.value).toMatchObject({ category: expect.any(String) });
    expect(b.get("i00303")?.value).toMatchObject({ category: expect.any(String) });
    expect(a.get("i00302")).toEqual(b.get("i00302"));
    expect(layer.stats.abandonedLoads).toBe(1);
  });

  it("a read arriving after a dead read's bound reads at once, giving that read up once for all its ids", async () => {
    const hanging = bindingsWhereFirstCallsHang("getMany", 1);
    const layer = createHotLayer(hanging.env, { config: { pullWaitMs: 100 } });
    // What an ended request leaves behind: its read registered for two ids, and nobody
    // (not even its own timer, cancelled with its request) waiting on it any more.
    const orphan = layer as unknown as {
      startEntryLoad(kind: "item", ids: string[], options: object): unknown;
    };
    orphan.startEntryLoad("item", ["i00304", "i00305"], {});
    // Past that read's bound (100 ms store wait + 1 s slack): nobody may join it any more.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const later = await layer.getMany("item", ["i00304", "i00305"]);
    expect(later.get("i00304")?.value).toMatchObject({ category: expect.any(String) });
    expect(later.get("i00305")?.value).toMatchObject({ category: expect.any(String) });
    expect(layer.stats.joinedReads).toBe(0);
    expect(layer.stats.abandonedLoads).toBe(1);
    expect(layer.stats.storeReads).toBe(2);
    expect(hanging.calls()).toBe(2);
  });
});
