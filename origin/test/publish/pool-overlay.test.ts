import { describe, expect, it } from "vitest";
import { HotGetResponse } from "#shared/hot/hot-contract";
import type { PoolOverlayValue } from "#shared/hot/pool-overlay";
import { decodePool, type PoolItemMeta, type RetrievalPool } from "#shared/retrieval/pool-codec";
import { adminRequest, signedPost } from "../support/origin-requests.js";
import { useSeededOrigin } from "../support/seeded-origin.js";

/**
 * The origin's side of the pool overlay (docs/edge.md, "Hot layer"): item
 * writes through the admin API are logged even with no edge to publish to
 * (edges that only pull), the overlay of a pool version lists the current
 * stock, category and brand of items changed since that pool was built, and
 * a rebuild folds them into the pool itself. A rebuild is allowed on every
 * pool read here (HOT_POOL_REBUILD_MS = 1), so each step is deterministic.
 */

const SECRET = "pool-overlay-test-secret-0";
const ADMIN_TOKEN = "pool-overlay-admin-token-01";
const origin = useSeededOrigin("pool-overlay", {
  ORIGIN_SIGNING_SECRET: SECRET,
  ADMIN_TOKEN,
  REGION: "ap-south",
  HOT_POOL_REBUILD_MS: "1",
});
/** One that rebuilds at most hourly: only the overlay's own bound may rebuild it sooner. */
const slow = useSeededOrigin("pool-overlay-slow", {
  ORIGIN_SIGNING_SECRET: SECRET,
  ADMIN_TOKEN,
  REGION: "ap-south",
  HOT_POOL_REBUILD_MS: "3600000",
});

/** What the pool's own columns say of item `id` (as the edge reads them). */
function poolFacts(pool: RetrievalPool, id: string): PoolItemMeta {
  const index = pool.ids.indexOf(id);
  const meta = pool.meta;
  if (index < 0 || !meta) throw new Error(`${id} is not in the pool`);
  return {
    category: meta.categories[meta.categoryCodes[index] ?? 0],
    brand: meta.brands[meta.brandCodes[index] ?? 0],
    inStock: ((meta.inStock[index >> 3] ?? 0) & (1 << (index & 7))) !== 0,
  };
}

async function pool(base = origin.url): Promise<{ version: number; bytes: Uint8Array }> {
  const response = await signedPost(base, "/internal/hot/pool", { region: "ap-south" }, SECRET);
  expect(response.status).toBe(200);
  return {
    version: Number(response.headers.get("x-hot-pool-version")),
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}

async function overlay(
  id: string,
  base = origin.url,
): Promise<{ value: PoolOverlayValue | null; version: number }> {
  const response = await signedPost(
    base,
    "/internal/hot/get",
    { region: "ap-south", kind: "poolOverlay", ids: [id] },
    SECRET,
  );
  expect(response.status).toBe(200);
  const [entry] = HotGetResponse.parse(await response.json()).entries;
  return { value: entry?.value as PoolOverlayValue | null, version: entry?.version ?? -1 };
}

async function writeItems(
  rows: { key: string; values: Record<string, unknown> }[],
  base = origin.url,
) {
  const response = await adminRequest(base, ADMIN_TOKEN, "POST", "/features/write", {
    entity: "item",
    rows,
  });
  expect(await response.json()).toMatchObject({ written: rows.length, errors: [] });
}

describe("pool overlay (origin, no edge configured: edges only pull)", () => {
  it("lists items written since a pool version with their current facts, until a rebuild folds them in", async () => {
    const before = await pool();
    expect(before.version).toBeGreaterThan(0);
    const empty = await overlay(String(before.version));
    expect(empty.value).toMatchObject({ poolVersion: before.version, ids: [], complete: true });
    // The content's hash: the same content again has the same version.
    expect((await overlay(String(before.version))).version).toBe(empty.version);

    await writeItems([
      { key: "i00031", values: { in_stock: false } },
      { key: "i00032", values: { category: "overlay-test-cat", brand: "overlay-brand" } },
    ]);
    const written = await overlay(String(before.version));
    const value = written.value as PoolOverlayValue;
    // Newest first; both written in one call.
    expect(new Set(value.ids)).toEqual(new Set(["i00031", "i00032"]));
    const at = (id: string) => value.ids.indexOf(id);
    expect(value.inStock[at("i00031")]).toBe(false);
    expect(value.categories[at("i00031")]).toEqual(expect.any(String));
    expect(value.categories[at("i00032")]).toBe("overlay-test-cat");
    expect(value.brands[at("i00032")]).toBe("overlay-brand");
    expect(value.complete).toBe(true);
    expect(written.version).not.toBe(empty.version);

    // The next pool read rebuilds: the new pool holds the facts, its overlay is empty.
    const after = await pool();
    expect(after.version).not.toBe(before.version);
    const decoded = decodePool(after.bytes);
    const facts = (id: string) => poolFacts(decoded, id);
    expect(facts("i00031")).toMatchObject({ inStock: false });
    expect(facts("i00032")).toMatchObject({ category: "overlay-test-cat", brand: "overlay-brand" });
    expect((await overlay(String(after.version))).value?.ids).toEqual([]);
    // An edge still on the old pool keeps getting what its pool lacks.
    expect(new Set((await overlay(String(before.version))).value?.ids)).toEqual(
      new Set(["i00031", "i00032"]),
    );
  });

  it("gives a pool version it does not know every change it holds, and null for what is no version", async () => {
    await writeItems([{ key: "i00033", values: { in_stock: false } }]);
    const unknown = await overlay("4242");
    expect(unknown.value?.ids).toContain("i00033");
    expect(unknown.value?.poolVersion).toBe(4242);
    expect((await overlay("not-a-version")).value).toBeNull();
  });

  it("carries an item added since the build, which the pool does not hold", async () => {
    const current = await pool();
    await writeItems([{ key: "new-item-1", values: { category: "overlay-new", in_stock: true } }]);
    const value = (await overlay(String(current.version))).value as PoolOverlayValue;
    const at = value.ids.indexOf("new-item-1");
    expect(at).toBeGreaterThanOrEqual(0);
    expect(value.categories[at]).toBe("overlay-new");
    expect(value.inStock[at]).toBe(true);
  });
});

describe("pool overlay bounds (the pool rebuilds at most hourly)", () => {
  it("lists an item written twice once, with its latest facts", async () => {
    const current = await pool(slow.url);
    await writeItems([{ key: "i00051", values: { category: "first" } }], slow.url);
    await writeItems([{ key: "i00051", values: { category: "second" } }], slow.url);
    const value = (await overlay(String(current.version), slow.url)).value as PoolOverlayValue;
    expect(value.ids.filter((id) => id === "i00051")).toHaveLength(1);
    expect(value.categories[value.ids.indexOf("i00051")]).toBe("second");
  });

  it("past 5,000 changed items lists the newest 5,000, marked incomplete, and rebuilds the pool at its next read", async () => {
    const before = await pool(slow.url);
    const catalogue = Array.from({ length: 5_000 }, (_, i) => ({
      key: `i${String(i).padStart(5, "0")}`,
      values: { in_stock: i % 2 === 0 },
    }));
    await writeItems(catalogue, slow.url);
    await writeItems([{ key: "bulk-newest", values: { in_stock: false } }], slow.url);
    const capped = (await overlay(String(before.version), slow.url)).value as PoolOverlayValue;
    expect(capped.complete).toBe(false);
    expect(capped.ids).toHaveLength(5_000);
    expect(capped.ids[0]).toBe("bulk-newest");
    // The next pool read rebuilds (an hour has not passed): the new pool holds the writes.
    const after = await pool(slow.url);
    expect(after.version).not.toBe(before.version);
    expect(poolFacts(decodePool(after.bytes), "i00001").inStock).toBe(false);
    expect((await overlay(String(after.version), slow.url)).value).toMatchObject({
      ids: [],
      complete: true,
    });
  });
});
