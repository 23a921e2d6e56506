import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecommendationResponse } from "#shared/api/recommendations";
import type { EdgeBindings } from "../src/env.js";
import { hotConfig } from "../src/hot/hot-config.js";
import { hotLayer } from "../src/hot/hot-layer.js";
import worker from "../src/index.js";
import { poolIndexOf } from "../src/retrieval/pool-lookup.js";
import { originAdmin as admin } from "./support/origin-calls.js";
import { servedFeatures } from "./support/served-features.js";

/**
 * Item writes reach the edge's own ranking within the hot layer's freshness
 * bound, not the pool's rebuild interval: an admin write at the real origin
 * of `in_stock = false`, or of a blocked category, for an item the retrieval
 * pool holds and the edge ranks, and the edge's answer with the origin
 * unreachable (its own candidates, the degraded path) drops the item within
 * HOT_FRESHNESS_MS. The test origin never rebuilds the pool during a run
 * (HOT_POOL_REBUILD_MS in the global setup), and the isolate's pool version
 * is checked to stay the same: the pool overlay alone carries the change.
 */

const bindings = env as unknown as EdgeBindings;
/**
 * A surface whose rules this file owns: other files only compare its lists
 * with the origin's (no fixed length), so the out-of-stock filter there
 * changes none of their checks.
 */
const SURFACE = "search";
const BLOCKED_CATEGORY = `overlay-blocked-${crypto.randomUUID().slice(0, 8)}`;
/** The retrieval seed: a catalogue item, so the embedding search runs over the pool. */
const CONTEXT_ITEM = "i00042";
/** The edge ranks alone: the re-rank's origin is a closed port (the region store still pulls from the real one). */
const ORIGIN_DOWN: Partial<EdgeBindings> = { ORIGIN_URL: "http://127.0.0.1:9" };
const PATH = `/v1/recommendations?surface=${SURFACE}&k=100&budgetMs=200&itemId=${CONTEXT_ITEM}`;
/** Polling period while waiting for a change: fine next to a 5 s bound. */
const POLL_MS = 100;

async function writeItem(id: string, values: Record<string, unknown>): Promise<void> {
  await admin("POST", "/features/write", { entity: "item", rows: [{ key: id, values }] });
}

/** The edge's own ranked list (origin unreachable), or undefined when this answer came from another rung. */
async function edgeRanking(): Promise<string[] | undefined> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://edge.test${PATH}`),
    { ...bindings, ...ORIGIN_DOWN } as EdgeBindings,
    ctx,
  );
  // Loads the request started (pool, overlay, rules) finish before the next one.
  await waitOnExecutionContext(ctx);
  expect(response.status).toBe(200);
  const body = RecommendationResponse.parse(await response.json());
  return body.tier === "edge" && body.items.length > 0 ? body.items.map((i) => i.id) : undefined;
}

/** Polls until `done` holds for the edge's ranking; answers the ranking and the time it took. */
async function until(
  done: (ranking: string[]) => boolean,
  what: string,
  maxMs: number,
): Promise<{ ranking: string[]; ms: number }> {
  const started = Date.now();
  let last: string[] | undefined;
  while (Date.now() - started < maxMs) {
    last = (await edgeRanking()) ?? last;
    if (last && done(last)) return { ranking: last, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`not within ${maxMs} ms: ${what}; last ranking ${JSON.stringify(last)}`);
}

/** Catalogue items of `ranking` the isolate's pool holds (the overlay is about those). */
async function pooledItems(ranking: string[]): Promise<string[]> {
  const pool = await hotLayer(bindings).pool();
  if (!pool) throw new Error("the isolate holds no pool");
  return ranking.filter((id) => poolIndexOf(pool, id) !== undefined);
}

const restore: { id: string; values: Record<string, unknown> }[] = [];

beforeAll(async () => {
  await admin("PUT", `/rules/${SURFACE}`, {
    rules: [
      { kind: "filter_out_of_stock" },
      { kind: "filter_blocked", feature: "category", values: [BLOCKED_CATEGORY] },
    ],
  });
});

afterAll(async () => {
  // Other files share this origin: put the items and the surface's rules back as they were.
  for (const { id, values } of restore) await writeItem(id, values);
  await admin("PUT", `/rules/${SURFACE}`, { rules: [] });
});

describe("edge filters follow item writes through the pool overlay (real origin, real workerd)", () => {
  const bound = hotConfig(bindings).freshnessMs;
  /** How long a wait may take before the test gives up (a loaded box), far past the bound asserted. */
  const patience = bound * 4;

  it("an item written out of stock, then one moved into a blocked category, leave the edge's own ranking within the bound", async () => {
    // The edge's rules for the surface are in (they are within the bound too), and a pool is held.
    const layer = hotLayer(bindings);
    await until(() => layer.poolVersion !== null, "the isolate holds a pool", patience);
    const rules = async () =>
      JSON.stringify((await layer.get("rules", SURFACE))?.value ?? null).includes(BLOCKED_CATEGORY);
    const rulesStarted = Date.now();
    while (!(await rules())) {
      if (Date.now() - rulesStarted > patience) throw new Error("the edge never saw the rules");
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const { ranking } = await until(
      (r) => r.length >= 10,
      "the edge ranks at least 10 items on its own",
      patience,
    );
    const pooled = await pooledItems(ranking);
    expect(pooled.length).toBeGreaterThanOrEqual(2);
    const [outOfStock, blocked] = pooled as [string, string];
    const poolVersion = layer.poolVersion;

    // What the origin holds now, to put back afterwards.
    const served = await servedFeatures([
      { entity: "item", keys: [outOfStock, blocked], features: ["in_stock", "category"] },
    ]);
    const [stockRow, categoryRow] = served.results[0]?.rows ?? [];
    expect(stockRow?.values[0]).toBe(true); // the edge ranked it, so it was in stock
    restore.push({ id: outOfStock, values: { in_stock: true } });
    restore.push({ id: blocked, values: { category: categoryRow?.values[1] } });

    await writeItem(outOfStock, { in_stock: false });
    const stock = await until(
      (r) => !r.includes(outOfStock),
      `${outOfStock} (out of stock) leaves the edge's ranking`,
      patience,
    );
    console.info(
      `out of stock: gone from the edge's ranking after ${stock.ms} ms (bound ${bound} ms)`,
    );
    expect(stock.ms).toBeLessThanOrEqual(bound);
    expect(stock.ranking.length).toBeGreaterThan(0);

    await writeItem(blocked, { category: BLOCKED_CATEGORY });
    const category = await until(
      (r) => !r.includes(blocked),
      `${blocked} (blocked category) leaves the edge's ranking`,
      patience,
    );
    console.info(`blocked category: gone after ${category.ms} ms (bound ${bound} ms)`);
    expect(category.ms).toBeLessThanOrEqual(bound);
    expect(category.ranking).not.toContain(outOfStock);

    // The same pool all along: the overlay, not a rebuilt pool, carried both writes.
    expect(layer.poolVersion).toBe(poolVersion);
  });
});
