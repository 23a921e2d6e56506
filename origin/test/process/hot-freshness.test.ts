import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { signRequest } from "#shared/security/request-signing";
import { type OriginProcess, startOriginProcess } from "../../../scripts/lib/origin-process.js";

/**
 * End to end, real processes: a real origin (LMDB, demo data) publishing to a
 * real workerd (Miniflare over the bundled worker) on an ephemeral port. An
 * admin write at the origin must be readable through the edge's hot layer
 * within the configured freshness bound (HOT_FRESHNESS_MS, 5 s), both on the
 * edge the origin publishes to and on one whose publishes are all lost (it
 * must re-pull on its own). The bound is a correctness property of the
 * design, asserted as such; measured arrival is far below it (see docs/edge.md).
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SECRET = "hot-freshness-secret-0123456789";
const ADMIN_TOKEN = "hot-freshness-admin-0123456789";
const FRESHNESS_BOUND_MS = 5_000;
/** Polling period of the reader: fine enough to see arrival well inside the bound. */
const POLL_MS = 50;

const dir = mkdtempSync(join(tmpdir(), "reco-hot-freshness-"));
let origin: OriginProcess | undefined;
let mf: Miniflare | undefined;
let edgeUrl = "";

/** A free loopback port, so the origin can be told where the edge will listen before it does. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  // Wrangler's config reader, offline and without touching the user's home (docs: TOOLCHAIN).
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.XDG_CONFIG_HOME = join(ROOT, ".xdg");
  const bundle = join(dir, "worker.js");
  await build({
    entryPoints: [join(ROOT, "edge/src/index.ts")],
    outfile: bundle,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "silent",
  });
  const edgePort = await freePort();
  origin = await startOriginProcess({
    ORIGIN_SIGNING_SECRET: SECRET,
    ADMIN_TOKEN,
    LMDB_PATH: join(dir, "lmdb"),
    SEED_DEMO_DATA: "true",
    REGION: "local",
    EDGE_PUBLISH_URLS: `http://127.0.0.1:${edgePort}`,
  });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const bindings = {
    ...(workerOptions.bindings ?? {}),
    REGION: "local",
    ORIGIN_URL: origin.url,
    ORIGIN_SIGNING_SECRET: SECRET,
    SESSION_COOKIE_SECRET: "hot-freshness-session-secret",
    SHOPPER_TOKEN_SECRET: "hot-freshness-shopper-secret",
    HOT_FRESHNESS_MS: String(FRESHNESS_BOUND_MS),
  };
  // The bindings wrangler.toml declares (Durable Objects, queue producer, vars), over our bundle.
  const worker = {
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    durableObjects: workerOptions.durableObjects,
    queueProducers: workerOptions.queueProducers,
    modules: true,
    scriptPath: bundle,
    // Module names are paths below this root; the bundle lives in the temp dir, not the repo.
    modulesRoot: dir,
    bindings,
  };
  mf = new Miniflare({
    host: "127.0.0.1",
    port: edgePort,
    workers: [
      { ...worker, name: "edge-published" },
      // Same worker, own Durable Objects, not in EDGE_PUBLISH_URLS: every publish to it is "lost".
      { ...worker, name: "edge-unpublished" },
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  edgeUrl = (await mf.ready).toString().replace(/\/$/, "");
  // Bundling, seeding the demo origin and starting workerd on 2 busy cores: more than the default hook time.
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  await origin?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Reader = (path: string, init: RequestInit) => Promise<Response>;

/** The edge's `POST /internal/hot/read`, signed like the origin signs. */
async function readPrice(fetchFrom: Reader, id: string): Promise<number | undefined> {
  const body = JSON.stringify({ kind: "item", ids: [id] });
  const headers = await signRequest({
    method: "POST",
    pathWithQuery: "/internal/hot/read",
    body,
    secret: SECRET,
  });
  const response = await fetchFrom("/internal/hot/read", {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
  });
  expect(response.status).toBe(200);
  const json = (await response.json()) as {
    entries: Record<string, { value: { price?: number } }>;
  };
  return json.entries[id]?.value.price;
}

async function adminWritePrice(id: string, price: number): Promise<void> {
  const response = await fetch(`${origin?.url}/admin/features/write`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ entity: "item", rows: [{ key: id, values: { price } }] }),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ written: 1, errors: [] });
}

/** The edge's first read of an id may miss (the pull goes on after HOT_PULL_WAIT_MS): poll until it is there. */
async function firstPrice(fetchFrom: Reader, id: string): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < FRESHNESS_BOUND_MS * 4) {
    const price = await readPrice(fetchFrom, id);
    if (price !== undefined) return price;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

/** Writes `price` at the origin and polls the edge until it shows it; answers ms since the write was sent. */
async function msUntilVisible(fetchFrom: Reader, id: string, price: number): Promise<number> {
  const sent = Date.now();
  await adminWritePrice(id, price);
  // Give up well past the bound so a failure reports the real arrival time instead of hanging.
  while (Date.now() - sent < FRESHNESS_BOUND_MS * 4) {
    if ((await readPrice(fetchFrom, id)) === price) return Date.now() - sent;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return Number.POSITIVE_INFINITY;
}

/** A signed POST to the edge's operator routes (`/internal/hot/*`), answered as JSON. */
async function edgeJson<T>(fetchFrom: Reader, path: string, payload: unknown): Promise<T> {
  const body = JSON.stringify(payload);
  const headers = await signRequest({ method: "POST", pathWithQuery: path, body, secret: SECRET });
  const response = await fetchFrom(path, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** What the edge's overlay of pool `version` says of `id`'s stock (undefined: not listed). */
async function overlayStock(fetchFrom: Reader, version: number, id: string) {
  const { entries } = await edgeJson<{
    entries: Record<string, { value: { ids: string[]; inStock: (boolean | null)[] } }>;
  }>(fetchFrom, "/internal/hot/read", { kind: "poolOverlay", ids: [String(version)] });
  const value = entries[String(version)]?.value;
  const at = value?.ids.indexOf(id) ?? -1;
  return at < 0 ? undefined : value?.inStock[at];
}

describe("hot layer freshness bound (real origin process -> real workerd)", () => {
  it("an admin write is visible at the edge it is published to within the bound", async () => {
    const published: Reader = (path, init) => fetch(`${edgeUrl}${path}`, init);
    const before = await firstPrice(published, "i00042");
    expect(before).toEqual(expect.any(Number));
    const price = Math.round(((before ?? 0) + 123.45) * 100) / 100;
    const ms = await msUntilVisible(published, "i00042", price);
    console.info(`published edge: write visible after ${ms} ms (bound ${FRESHNESS_BOUND_MS} ms)`);
    expect(ms).toBeLessThanOrEqual(FRESHNESS_BOUND_MS);
  });

  it("an edge that never receives the publish re-pulls and shows the write within the bound", async () => {
    const worker = await mf?.getWorker("edge-unpublished");
    if (!worker) throw new Error("no unpublished worker");
    const unpublished: Reader = async (path, init) =>
      (await worker.fetch(`http://edge.local${path}`, init as never)) as unknown as Response;
    const before = await firstPrice(unpublished, "i00043");
    expect(before).toEqual(expect.any(Number));
    const price = Math.round(((before ?? 0) + 77.7) * 100) / 100;
    const ms = await msUntilVisible(unpublished, "i00043", price);
    console.info(`unpublished edge: write visible after ${ms} ms (bound ${FRESHNESS_BOUND_MS} ms)`);
    expect(ms).toBeLessThanOrEqual(FRESHNESS_BOUND_MS);
  });

  it("an item written out of stock is in the published edge's pool overlay within the bound", async () => {
    const published: Reader = (path, init) => fetch(`${edgeUrl}${path}`, init);
    const state = await edgeJson<{ pool: { version: number } | null }>(
      published,
      "/internal/hot/pool-state",
      { waitMs: 20_000 },
    );
    const version = state.pool?.version;
    if (version === undefined) throw new Error("the edge holds no pool");
    const sent = Date.now();
    const response = await fetch(`${origin?.url}/admin/features/write`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        entity: "item",
        rows: [{ key: "i00044", values: { in_stock: false } }],
      }),
    });
    expect(await response.json()).toMatchObject({ written: 1, errors: [] });
    let ms = Number.POSITIVE_INFINITY;
    while (Date.now() - sent < FRESHNESS_BOUND_MS * 4) {
      if ((await overlayStock(published, version, "i00044")) === false) {
        ms = Date.now() - sent;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    console.info(
      `published edge: stock in the pool overlay after ${ms} ms (bound ${FRESHNESS_BOUND_MS} ms)`,
    );
    expect(ms).toBeLessThanOrEqual(FRESHNESS_BOUND_MS);
  });
});
