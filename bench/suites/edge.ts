import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { RecommendationResponse } from "#shared/api/recommendations";
import {
  HOT_POOL_UPDATED_AT_HEADER,
  HOT_POOL_VERSION_HEADER,
  type HotGetRequest,
} from "#shared/hot/hot-contract";
import { encodePool } from "#shared/retrieval/pool-codec";
import { syntheticXgboostJson } from "../../origin/src/models/synthetic/synthetic-forests.js";
import {
  buildEdgeWorker,
  IDENTITY_ENCODING,
  type IsolateHeapUsage,
  isolateHeapUsage,
  startBareMiniflare,
  startEdgeMiniflare,
} from "../../scripts/lib/edge-miniflare.js";
import { startOriginProcess } from "../../scripts/lib/origin-process.js";
import {
  type Measurement,
  type MeasureOptions,
  measure,
  measureAlternating,
} from "../lib/measure.js";

/** The shapes: a 100k × 32 retrieval pool; re-rank of 200 candidates × 40 features, 300 trees. */
const POOL_ITEMS = 100_000;
const POOL_DIM = 32;
const FOREST = { trees: 300, depth: 6, features: 40, seed: 42 };
const ITEM_FEATURES = 35;
const CATEGORY_FEATURES = 5;
const CATEGORIES = 20;
/** The demo catalog the real origin seeds (ids i00000 … i04999). */
const DEMO_ITEMS = 5_000;
/** The full path at the brief's concurrency. */
const FULL_PATH_CONCURRENCY = 64;
/** In flight for the full path's saturation row: enough to keep the origin busy, few enough to queue < 200 ms. */
const SATURATION_CONCURRENCY = 8;
const SECRET = `bench-edge-${crypto.randomUUID()}`;
const ADMIN_TOKEN = `bench-admin-${crypto.randomUUID()}`;

const EDGE_BINDINGS = {
  ORIGIN_SIGNING_SECRET: SECRET,
  SESSION_COOKIE_SECRET: `cookie-${SECRET}`,
  SHOPPER_TOKEN_SECRET: `token-${SECRET}`,
  REGION: "bench",
  // One load generator is one client: the per-client rate limit would answer 429s.
  RATE_LIMIT_PER_SECOND: "0",
};

const demoId = (n: number) => `i${String(n % DEMO_ITEMS).padStart(5, "0")}`;
const poolId = (n: number) => `p${String(n % POOL_ITEMS).padStart(6, "0")}`;

/** Deterministic pseudo-random numbers in [-1, 1) so every run seeds the same pool. */
function unitNoise(i: number): number {
  return (Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 31 - 1;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/**
 * A stand-in origin for the retrieval measurement: serves a 100k × 32 pool to
 * the edge's hot layer, "known absent" for every other hot entry, and a
 * re-rank that echoes the edge's candidates (so the measured time is the
 * edge's own: hot layer, retrieval over 100k, the call itself).
 */
async function startPoolOrigin(): Promise<{ url: string; server: Server }> {
  const ids = Array.from({ length: POOL_ITEMS }, (_, i) => poolId(i));
  const vectors = new Float32Array(POOL_ITEMS * POOL_DIM);
  for (let i = 0; i < vectors.length; i++) vectors[i] = unitNoise(i);
  const meta = ids.map((_, i) => ({ category: `c${i % CATEGORIES}`, inStock: i % 10 !== 0 }));
  const pool = encodePool({ ids, dim: POOL_DIM, vectors, meta });
  const updatedAt = Date.now();
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const json = (value: unknown) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (request.url === "/internal/hot/pool") {
      response.writeHead(200, {
        "content-type": "application/octet-stream",
        [HOT_POOL_VERSION_HEADER]: "1",
        [HOT_POOL_UPDATED_AT_HEADER]: String(updatedAt),
      });
      response.end(pool);
    } else if (request.url === "/internal/hot/get") {
      const asked = JSON.parse(body) as HotGetRequest;
      const now = Date.now();
      json({
        entries: asked.ids.map((id) => ({
          kind: asked.kind,
          id,
          value: null,
          version: 0,
          updatedAt: now,
          observedAt: now,
        })),
      });
    } else if (request.url === "/internal/recommendations") {
      const asked = JSON.parse(body) as { k: number; candidates?: string[] };
      const items = (asked.candidates ?? []).slice(0, asked.k);
      json({
        items: items.map((id, i) => ({ id, score: items.length - i })),
        lens: "request",
        computedAt: Date.now(),
      });
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("stub origin has no port");
  return { url: `http://127.0.0.1:${address.port}`, server };
}

/** Resident memory of the workerd processes this process started (Miniflare's runtime), in bytes. */
function workerdRssBytes(): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent !== process.pid || !stat.includes("(workerd)")) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
      total += Number(rss?.[1] ?? 0) * 1024;
    } catch {
      // The process went away between listing and reading.
    }
  }
  return total;
}

/** The workerd processes this process started (Miniflare's runtime). */
function workerdPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === process.pid && stat.includes("(workerd)")) pids.push(Number(entry));
    } catch {
      // The process went away between listing and reading.
    }
  }
  return pids;
}

/** User + system CPU of `pids` (all their threads), ms; Linux counts it in 10 ms ticks. */
function cpuMsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited: its CPU is no longer counted.
    }
  }
  return ticks * 10;
}

/**
 * Runs `run` and prints the CPU per operation of workerd (the edge) and of the
 * origin process beside it, so a row's time splits into edge CPU, origin CPU,
 * the load generator's (the table's `cpu µs/op`, this process) and waiting.
 */
async function withProcessCpu(
  what: string,
  originPid: number | undefined,
  run: () => Promise<Measurement>,
  extraOps = 0,
): Promise<Measurement> {
  const workerd = workerdPids();
  const origin = originPid === undefined ? [] : [originPid];
  const before = { workerd: cpuMsOf(workerd), origin: cpuMsOf(origin) };
  const result = await run();
  const ops = result.n + extraOps;
  const perOp = (ms: number) => Math.round((ms * 1000) / Math.max(1, ops));
  const originPart =
    originPid === undefined ? "" : `, origin ${perOp(cpuMsOf(origin) - before.origin)} µs`;
  console.log(
    `edge ${what}: CPU per request: workerd ${perOp(cpuMsOf(workerd) - before.workerd)} µs${originPart}, ` +
      `load generator ${result.cpuUsPerOp} µs (${ops} requests incl. warm-up)`,
  );
  return result;
}

/** The pipeline's own stage durations per request (ms, workerd's coarse clock), to set beside the caller's view. */
const workerStages = new Map<string, number[]>();

/** The session cookie the edge issued with `response` (`name=value`), to come back as that shopper. */
function sessionCookieOf(response: Response): string {
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error("the edge issued no session cookie");
  return cookie;
}

async function get(mf: Miniflare, path: string, cookie?: string): Promise<RecommendationResponse> {
  const response = await mf.dispatchFetch(`http://edge.bench${path}`, {
    headers: cookie === undefined ? IDENTITY_ENCODING : { ...IDENTITY_ENCODING, cookie },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  for (const [, stage, ms] of (response.headers.get("server-timing") ?? "").matchAll(
    /(\w+);dur=([\d.]+)/g,
  )) {
    if (!stage) continue;
    const values = workerStages.get(stage) ?? [];
    values.push(Number(ms));
    workerStages.set(stage, values);
  }
  return RecommendationResponse.parse(JSON.parse(text));
}

/** Prints p50/p99 of each pipeline stage (Server-Timing) since the last call, then forgets them. */
function reportWorkerTotals(what: string): void {
  const parts: string[] = [];
  for (const [stage, values] of workerStages) {
    const sorted = values.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    parts.push(`${stage} ${at(0.5)}/${at(0.99)} (n=${sorted.length})`);
  }
  workerStages.clear();
  if (parts.length > 0) console.log(`edge ${what}: Server-Timing p50/p99 ms: ${parts.join(", ")}`);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() < giveUpAt) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`bench setup: ${what} did not happen within 60 s`);
}

/** What the isolate holds: V8's JS heap, the embedder's (workerd's) heap and ArrayBuffer backing stores. */
function heapBytes(usage: IsolateHeapUsage): number {
  return usage.usedSize + (usage.embedderHeapUsedSize ?? 0) + (usage.backingStorageSize ?? 0);
}

export interface EdgeMemoryReport {
  /** The worker isolate's heap (V8 `Runtime.getHeapUsage`, no forced GC) after start-up. */
  isolateBaselineBytes: number;
  /** The same once the 100k pool is loaded and searched. */
  isolateWithPoolBytes: number;
  /** workerd RSS after start-up and a few /healthz calls. */
  baselineBytes: number;
  /** workerd RSS once the 100k pool is loaded and searched. */
  withPoolBytes: number;
}

/** Cache hit beside /healthz, retrieval over the 100k pool, and workerd's memory with it. */
async function retrievalPart(
  script: string,
  options: MeasureOptions,
  memory: Partial<EdgeMemoryReport>,
): Promise<Measurement[]> {
  const origin = await startPoolOrigin();
  const mf = await startEdgeMiniflare(
    script,
    { ...EDGE_BINDINGS, ORIGIN_URL: origin.url },
    { inspector: true },
  );
  const bare = await startBareMiniflare();
  try {
    for (let i = 0; i < 50; i++)
      await (
        await mf.dispatchFetch("http://edge.bench/healthz", { headers: IDENTITY_ENCODING })
      ).text();
    memory.baselineBytes = workerdRssBytes();
    memory.isolateBaselineBytes = heapBytes(await isolateHeapUsage(mf));
    // The item context is a pool item: the session query vector is its embedding.
    let attempt = 0;
    // Each attempt a new item context: an answer computed before the pool arrived stays cached.
    await until("the 100k pool reached the edge", async () => {
      attempt++;
      const body = await get(mf, `/v1/recommendations?surface=home&itemId=${poolId(attempt)}&k=10`);
      return body.items.length === 10 && body.tier === "origin";
    });
    workerStages.clear();
    const hitPath = `/v1/recommendations?surface=home&itemId=${poolId(attempt)}&k=10`;
    await until("the list is cached", async () => (await get(mf, hitPath)).tier === "memory");

    let notFromMemory = 0;
    const label = { suite: "edge", target: "miniflare" };
    const hitOp = "GET /v1/recommendations cache hit (raw = GET /healthz, the floor)";
    // Beneath /healthz (our app: Hono, request id, config): a bare module worker, the runtime's
    // own floor. All three in alternating slices, so the box's load drift falls on each alike.
    const results = await measureAlternating(
      [
        {
          label: { ...label, op: hitOp, impl: "adapter" },
          op: async () => {
            const body = await get(mf, hitPath);
            if (body.tier !== "memory") notFromMemory++;
          },
        },
        {
          label: { ...label, op: hitOp, impl: "raw" },
          op: async () =>
            (
              await mf.dispatchFetch("http://edge.bench/healthz", { headers: IDENTITY_ENCODING })
            ).text(),
        },
        {
          label: { ...label, op: "bare module worker: the runtime's floor", impl: "raw" },
          op: async () =>
            (await bare.dispatchFetch("http://bare.bench/", { headers: IDENTITY_ENCODING })).text(),
        },
      ],
      options,
    );
    if (notFromMemory > 0)
      console.log(`edge: ${notFromMemory} cache-hit requests were not memory hits`);
    reportWorkerTotals("cache hit");
    // A returning shopper (the edge's signed cookie, no events): the same shared list, but the
    // cookie is verified (memoised) and the session's version read from its Durable Object.
    const first = await mf.dispatchFetch(`http://edge.bench${hitPath}`, {
      headers: IDENTITY_ENCODING,
    });
    await first.text();
    const cookie = sessionCookieOf(first);
    results.push(
      await withProcessCpu(
        "cache hit, returning shopper",
        undefined,
        () =>
          measure(
            {
              ...label,
              op: "GET /v1/recommendations cache hit, returning shopper",
              impl: "adapter",
            },
            async () => {
              const body = await get(mf, hitPath, cookie);
              if (body.tier !== "memory") notFromMemory++;
            },
            options,
          ),
        options.warmupOps,
      ),
    );
    reportWorkerTotals("cache hit, returning shopper");
    results.push(
      await withProcessCpu(
        `cache hit, ${FULL_PATH_CONCURRENCY} concurrent`,
        undefined,
        () =>
          measure(
            { ...label, op: "GET /v1/recommendations cache hit", impl: "adapter" },
            async () => {
              const body = await get(mf, hitPath);
              if (body.tier !== "memory") notFromMemory++;
            },
            { ...options, concurrency: FULL_PATH_CONCURRENCY },
          ),
        options.warmupOps,
      ),
    );
    reportWorkerTotals(`cache hit, ${FULL_PATH_CONCURRENCY} concurrent`);

    // Every request a new (item, k) pair: a miss, so the edge retrieves over the 100k pool and
    // the stand-in origin echoes the candidates (its own cost is an HTTP round trip on loopback).
    let missesNotRetrieved = 0;
    const missPath = (i: number) =>
      `/v1/recommendations?surface=home&budgetMs=200&itemId=${poolId(1_000 + (i % 500) * 7)}&k=${1 + (Math.floor(i / 500) % 100)}`;
    results.push(
      await measure(
        {
          ...label,
          op: `cache miss: edge retrieval over ${POOL_ITEMS / 1000}k×${POOL_DIM} pool + echo re-rank`,
          impl: "adapter",
        },
        async (i) => {
          const body = await get(mf, missPath(i));
          if (body.items.length === 0) missesNotRetrieved++;
        },
        { ...options, warmupOps: 0 },
      ),
    );
    if (missesNotRetrieved > 0) console.log(`edge: ${missesNotRetrieved} misses had no candidates`);
    reportWorkerTotals("cache miss over the 100k pool");
    memory.withPoolBytes = workerdRssBytes();
    memory.isolateWithPoolBytes = heapBytes(await isolateHeapUsage(mf));
    return results;
  } finally {
    await bare.dispose();
    await mf.dispose();
    await new Promise((resolve) => origin.server.close(resolve));
  }
}

async function admin(originUrl: string, method: string, path: string, body: unknown) {
  const response = await fetch(`${originUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}

/**
 * A 40-column graph over the demo items (35 item features and 5 of the
 * item's category, two levels of reads) and a 300-tree depth-6 forest over
 * it, bound to surface `home` by a one-arm experiment: the rank suite's
 * shape, behind the real origin's admin API.
 */
async function prepareRankingOrigin(originUrl: string): Promise<void> {
  await admin(originUrl, "PUT", "/admin/entities/bench_item", { keyParts: ["item"] });
  await admin(originUrl, "PUT", "/admin/entities/bench_cat", { keyParts: ["category"] });
  for (let f = 0; f < ITEM_FEATURES; f++)
    await admin(originUrl, "PUT", `/admin/features/bench_item/f${f}`, { type: "float" });
  await admin(originUrl, "PUT", "/admin/features/bench_item/cat", { type: "string", default: "" });
  for (let f = 0; f < CATEGORY_FEATURES; f++)
    await admin(originUrl, "PUT", `/admin/features/bench_cat/f${f}`, { type: "float" });
  const values = (count: number, row: number) =>
    Object.fromEntries(Array.from({ length: count }, (_, f) => [`f${f}`, Math.sin(row + f)]));
  await admin(originUrl, "POST", "/admin/features/write", {
    entity: "bench_item",
    rows: Array.from({ length: DEMO_ITEMS }, (_, r) => ({
      key: demoId(r),
      values: { ...values(ITEM_FEATURES, r), cat: `c${r % CATEGORIES}` },
    })),
  });
  await admin(originUrl, "POST", "/admin/features/write", {
    entity: "bench_cat",
    rows: Array.from({ length: CATEGORIES }, (_, r) => ({
      key: `c${r}`,
      values: values(CATEGORY_FEATURES, r),
    })),
  });
  const column = (node: string, count: number) =>
    Array.from({ length: count }, (_, f) => ({ node, feature: `f${f}` }));
  await admin(originUrl, "PUT", "/admin/models/bench-forest", {
    model: syntheticXgboostJson(FOREST),
    graph: {
      nodes: [
        { id: "item", entity: "bench_item", key: [{ input: "candidate" }] },
        { id: "cat", entity: "bench_cat", key: [{ node: "item", feature: "cat" }] },
      ],
      columns: [...column("item", ITEM_FEATURES), ...column("cat", CATEGORY_FEATURES)],
    },
  });
  await admin(originUrl, "PUT", "/admin/experiments/home", {
    experiment: { salt: "bench", arms: [{ name: "forest", modelId: "bench-forest", weight: 1 }] },
  });
}

/** The full path: edge retrieval over the demo pool, then the real origin's re-rank with the forest. */
async function fullPathPart(script: string, options: MeasureOptions): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), "reco-bench-edge-"));
  const origin = await startOriginProcess({
    ORIGIN_SIGNING_SECRET: SECRET,
    LMDB_PATH: join(dir, "lmdb"),
    SEED_DEMO_DATA: "true",
    REGION: "bench",
    ADMIN_TOKEN,
    LOG_LEVEL: "warn",
    // Nothing of the bench needs the training log.
    FEATURE_LOG_SAMPLE_RATE: "0",
  });
  let mf: Miniflare | undefined;
  try {
    await prepareRankingOrigin(origin.url);
    mf = await startEdgeMiniflare(script, { ...EDGE_BINDINGS, ORIGIN_URL: origin.url });
    const edge = mf;
    await until("the origin ranks with the forest", async () => {
      const body = await get(
        edge,
        `/v1/recommendations?surface=home&budgetMs=200&itemId=${demoId(3)}&k=11`,
      );
      return body.tier === "origin" && body.items.length > 0;
    });
    workerStages.clear();
    const outcome = { origin: 0, degraded: 0 };
    // A new (item, k) pair per request: every one is a miss that goes to the origin.
    const path = (i: number, budgetMs: number) =>
      `/v1/recommendations?surface=home&budgetMs=${budgetMs}&itemId=${demoId(i * 13)}&k=${1 + (Math.floor(i / DEMO_ITEMS) % 100)}`;
    const run = async (concurrency: number, budgetMs: number) => {
      outcome.origin = 0;
      outcome.degraded = 0;
      const result = await withProcessCpu(
        `full path c=${concurrency} budget=${budgetMs} ms`,
        origin.child.pid,
        () =>
          measure(
            {
              suite: "edge",
              target: "miniflare+origin",
              op: `full path: edge retrieval + origin re-rank 200×40 ${FOREST.trees}t (budget ${budgetMs} ms)`,
              impl: "adapter",
            },
            async (i) => {
              const body = await get(edge, path(i + concurrency * 100_000 + budgetMs, budgetMs));
              if (body.degraded) outcome.degraded++;
              else if (body.tier === "origin") outcome.origin++;
            },
            { ...options, concurrency, warmupOps: 0 },
          ),
      );
      console.log(
        `edge full path c=${concurrency} budget=${budgetMs} ms: ${outcome.origin} origin answers, ${outcome.degraded} degraded`,
      );
      reportWorkerTotals(`full path c=${concurrency} budget=${budgetMs} ms`);
      return result;
    };
    return [
      await run(1, 200),
      // Few enough in flight that the origin answers within the largest budget: its saturation rate.
      await run(SATURATION_CONCURRENCY, 200),
      await run(FULL_PATH_CONCURRENCY, 50),
      await run(FULL_PATH_CONCURRENCY, 200),
    ];
  } finally {
    await mf?.dispose();
    await origin.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The edge measured in-process: Miniflare's `dispatchFetch` over the built
 * worker (esbuild bundle of edge/src/index.ts in workerd). Cache hit beside
 * /healthz; a miss retrieving over a 100k pool; the full path with the real
 * origin re-ranking 200 candidates × 40 features at 64 concurrent; workerd's
 * resident memory before and after the pool.
 */
export async function edgeSuite(options: MeasureOptions): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), "reco-bench-edge-worker-"));
  try {
    const script = await buildEdgeWorker(dir, { minify: true });
    const memory: Partial<EdgeMemoryReport> = {};
    const results = await retrievalPart(script, options, memory);
    const mb = (bytes: number | undefined) => ((bytes ?? 0) / 1024 / 1024).toFixed(1);
    console.log(
      `edge isolate heap (V8 used + embedder + ArrayBuffers): ${mb(memory.isolateBaselineBytes)} MB at start, ` +
        `${mb(memory.isolateWithPoolBytes)} MB with the ${POOL_ITEMS / 1000}k pool`,
    );
    console.log(
      `edge memory (workerd process RSS, includes the region store's copy of the pool): ` +
        `${mb(memory.baselineBytes)} MB at start, ${mb(memory.withPoolBytes)} MB with the ${POOL_ITEMS / 1000}k pool ` +
        `(+${mb((memory.withPoolBytes ?? 0) - (memory.baselineBytes ?? 0))} MB)`,
    );
    writeFileSync(
      join(process.cwd(), "bench", "results", "edge-memory.json"),
      `${JSON.stringify({ measuredAs: "isolate*: V8 Runtime.getHeapUsage (used + embedder + ArrayBuffer backing stores, no forced GC); *Bytes: workerd process RSS", poolItems: POOL_ITEMS, poolDim: POOL_DIM, ...memory }, null, 2)}\n`,
    );
    results.push(...(await fullPathPart(script, options)));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
