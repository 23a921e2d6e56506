import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "#shared/config/parse-env";
import {
  HotGetResponse,
  type HotPublishRequest,
  HotPublishRequest as PublishSchema,
} from "#shared/hot/hot-contract";
import type { PoolOverlayValue } from "#shared/hot/pool-overlay";
import {
  SIGNATURE_HEADER,
  signRequest,
  TIMESTAMP_HEADER,
  verifyRequest,
} from "#shared/security/request-signing";
import { expectErrorResponse } from "../../../shared/test/support/expect-error-response.js";
import { loadOriginConfig } from "../../src/config/origin-config.js";
import { type RunningOrigin, startOrigin } from "../../src/start-origin.js";

/**
 * The origin's publisher against a real HTTP endpoint standing in for an
 * edge's `POST /internal/hot/publish` (the real edge is covered end to end in
 * test/process/hot-freshness.test.ts): it checks each publish's signature
 * exactly as the edge does and records what arrived.
 */

const SECRET = "hot-publisher-test-secret-0";
const ADMIN_TOKEN = "hot-publisher-admin-token-01";
const dir = mkdtempSync(join(tmpdir(), "reco-hot-publisher-"));

/** A stand-in edge: verifies signatures, records publishes, can be told to fail or hang. */
class FakeEdge {
  readonly received: HotPublishRequest[] = [];
  refused = 0;
  failed = 0;
  mode: "ok" | "fail" | "hang" = "ok";
  private server: Server | null = null;
  private readonly hanging: ServerResponse[] = [];
  url = "";

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  get hangingCount(): number {
    return this.hanging.length;
  }

  /** Drops every hung publish's connection, as a crashed edge would. */
  dropHanging(): void {
    for (const res of this.hanging.splice(0)) res.socket?.destroy();
  }

  async stop(): Promise<void> {
    this.dropHanging();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.server = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = new Uint8Array(Buffer.concat(chunks));
    const failure = await verifyRequest({
      method: req.method ?? "",
      pathWithQuery: req.url ?? "",
      body,
      secret: SECRET,
      signature: req.headers[SIGNATURE_HEADER] as string | undefined,
      timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
    });
    if (failure || req.url !== "/internal/hot/publish") {
      this.refused++;
      res.writeHead(401).end();
      return;
    }
    if (this.mode === "hang") {
      this.hanging.push(res);
      return;
    }
    if (this.mode === "fail") {
      this.failed++;
      res.writeHead(503).end();
      return;
    }
    const publish = PublishSchema.parse(JSON.parse(Buffer.from(body).toString("utf8")));
    this.received.push(publish);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        applied: publish.entries.length,
        poolVersion: publish.pool?.version ?? null,
      }),
    );
  }

  entries(kind: string, id: string) {
    return this.received.flatMap((p) => p.entries).filter((e) => e.kind === kind && e.id === id);
  }
}

const edge = new FakeEdge();
let origin: RunningOrigin;

beforeAll(async () => {
  await edge.start();
  origin = await startOrigin(
    loadOriginConfig({
      ORIGIN_PORT: "0",
      ORIGIN_SIGNING_SECRET: SECRET,
      ADMIN_TOKEN,
      LMDB_PATH: join(dir, "lmdb"),
      LOG_LEVEL: "silent",
      FEATURE_LOG_SAMPLE_RATE: "0",
      SEED_DEMO_DATA: "true",
      REGION: "ap-south",
      EDGE_PUBLISH_URLS: `ap-south=${edge.url}`,
    }),
  );
});
afterAll(async () => {
  await origin?.stop();
  await edge.stop();
  rmSync(dir, { recursive: true, force: true });
});

function admin(method: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${origin.url}/admin${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(body),
  });
}

/** Waits (bounded) until `check` holds; publishes are asynchronous by design. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 15_000) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("hot publisher (origin -> edges)", () => {
  it("publishes an admin feature write's items, signed, with their new values", async () => {
    const response = await admin("POST", "/features/write", {
      entity: "item",
      rows: [{ key: "i00007", values: { price: 777.5, in_stock: false } }],
    });
    expect(response.status).toBe(200);
    await eventually(() => edge.entries("item", "i00007").length > 0, "item i00007 published");
    const [entry] = edge.entries("item", "i00007");
    expect(entry?.value).toMatchObject({
      price: 777.5,
      inStock: false,
      category: expect.any(String),
    });
    expect(entry?.observedAt).toBeGreaterThan(0);
    expect(edge.refused).toBe(0);
  });

  it("publishes a surface's rules when they change, and the trending of the edge's region", async () => {
    const put = await admin("PUT", "/rules/home", { rules: [{ kind: "filter_out_of_stock" }] });
    expect(put.status).toBe(200);
    await eventually(() => edge.entries("rules", "home").length > 0, "rules of home published");
    expect(edge.entries("rules", "home").at(-1)?.value).toMatchObject({
      surface: "home",
      rules: [{ kind: "filter_out_of_stock" }],
    });
    // The periodic refresh: this edge's region only.
    await eventually(() => edge.entries("trending", "ap-south").length > 0, "trending published");
    expect(edge.entries("trending", "ap-south")[0]?.value).toEqual({
      items: expect.any(Array),
      scores: expect.any(Array),
    });
  });

  it("publishes the surface's experiment arms and their models when the experiment changes", async () => {
    const put = await admin("PUT", "/experiments/pdp", {
      experiment: { salt: "hot-1", arms: [{ name: "control", modelId: "demo", weight: 1 }] },
    });
    expect(put.status).toBe(200);
    await eventually(() => edge.entries("model", "pdp").length > 0, "model of pdp published");
    // Every arm with its weight and resolved model: the edge assigns the shopper's arm itself.
    expect(edge.entries("model", "pdp").at(-1)?.value).toEqual({
      salt: "hot-1",
      arms: [{ name: "control", weight: 1, model: { id: "demo", version: 1 } }],
    });
  });

  it("announces the retrieval pool's version to the edge", async () => {
    await eventually(() => edge.received.some((p) => p.pool !== undefined), "pool announced");
    const head = edge.received.find((p) => p.pool)?.pool;
    expect(head?.version).toBeGreaterThan(0);
    expect(head?.bytes).toBeGreaterThan(1_000);
  });

  it("publishes the current pool's overlay with an item write's stock, category and brand", async () => {
    await eventually(() => edge.received.some((p) => p.pool !== undefined), "pool announced");
    const version = String(edge.received.find((p) => p.pool)?.pool?.version);
    const response = await admin("POST", "/features/write", {
      entity: "item",
      rows: [{ key: "i00017", values: { in_stock: false, brand: "overlay-brand" } }],
    });
    expect(response.status).toBe(200);
    const listsIt = () =>
      edge
        .entries("poolOverlay", version)
        .some((e) => (e.value as PoolOverlayValue).ids.includes("i00017"));
    await eventually(listsIt, "overlay of the announced pool lists i00017");
    const value = edge.entries("poolOverlay", version).at(-1)?.value as PoolOverlayValue;
    const at = value.ids.indexOf("i00017");
    expect(value).toMatchObject({ poolVersion: Number(version), complete: true });
    expect(value.inStock[at]).toBe(false);
    expect(value.brands[at]).toBe("overlay-brand");
  });

  it("never blocks the writer on a hanging edge, and delivers once the edge answers again", async () => {
    edge.mode = "hang";
    const first = await admin("POST", "/features/write", {
      entity: "item",
      rows: [{ key: "i00008", values: { price: 1.25 } }],
    });
    expect(first.status).toBe(200);
    await eventually(() => edge.hangingCount > 0, "a publish is hanging at the edge");
    // The publisher is stuck on that edge; writers are not.
    const second = await admin("POST", "/features/write", {
      entity: "item",
      rows: [{ key: "i00009", values: { price: 2.5 } }],
    });
    expect(second.status).toBe(200);
    edge.mode = "fail";
    edge.dropHanging(); // the hung publish fails; the next try meets a 503, then a healthy edge
    await eventually(() => edge.failed > 0, "a retry met the failing edge");
    edge.mode = "ok";
    await eventually(
      () => edge.entries("item", "i00008").length > 0 && edge.entries("item", "i00009").length > 0,
      "both queued changes delivered after recovery",
    );
    expect(edge.entries("item", "i00009").at(-1)?.value).toMatchObject({ price: 2.5 });
  });
});

describe("POST /internal/hot/get (origin side of the pull)", () => {
  async function signedPost(path: string, body: unknown, secret = SECRET): Promise<Response> {
    const text = JSON.stringify(body);
    const headers = await signRequest({ method: "POST", pathWithQuery: path, body: text, secret });
    return fetch(`${origin.url}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: text,
    });
  }

  it("answers one entry per id, unknown ids as null", async () => {
    const response = await signedPost("/internal/hot/get", {
      region: "ap-south",
      kind: "item",
      ids: ["i00001", "nope"],
    });
    expect(response.status).toBe(200);
    const body = HotGetResponse.parse(await response.json());
    expect(body.entries.map((e) => e.id)).toEqual(["i00001", "nope"]);
    expect(body.entries[0]?.value).toMatchObject({
      category: expect.any(String),
      price: expect.any(Number),
    });
    expect(body.entries[1]?.value).toBeNull();
  });

  it("answers a region with no trending yet with the popularity list, so the edge's last rung is never empty", async () => {
    const response = await signedPost("/internal/hot/get", {
      region: "quiet-rgn",
      kind: "trending",
      ids: ["quiet-rgn"],
    });
    expect(response.status).toBe(200);
    const [entry] = HotGetResponse.parse(await response.json()).entries;
    const value = entry?.value as { items: string[]; scores: number[] };
    expect(value.items.length).toBeGreaterThan(0);
    expect(value.items.every((id) => /^i\d{5}$/.test(id))).toBe(true);
    expect(value.scores).toHaveLength(value.items.length);
    expect(value.scores).toEqual([...value.scores].sort((a, b) => b - a));
  });

  it("answers a user's features with the embedding as a plain array (the edge's query vector)", async () => {
    const declared = await admin("PUT", "/features/user/embedding", { type: "vector", dim: 4 });
    expect(declared.status).toBe(200);
    const written = await admin("POST", "/features/write", {
      entity: "user",
      rows: [{ key: "u-hot-1", values: { embedding: [0.5, 0, -0.5, 1] } }],
    });
    expect(await written.json()).toMatchObject({ written: 1, errors: [] });
    const response = await signedPost("/internal/hot/get", {
      region: "ap-south",
      kind: "user",
      ids: ["u-hot-1"],
    });
    const [entry] = HotGetResponse.parse(await response.json()).entries;
    expect(entry?.value).toMatchObject({ embedding: [0.5, 0, -0.5, 1] });
  });

  it("refuses unsigned or forged pulls (401) and bad kinds (400)", async () => {
    const unsigned = await fetch(`${origin.url}/internal/hot/get`, {
      method: "POST",
      body: JSON.stringify({ region: "ap-south", kind: "item", ids: ["i00001"] }),
    });
    await expectErrorResponse(unsigned, 401, "unauthorized");
    await expectErrorResponse(
      await signedPost(
        "/internal/hot/get",
        { region: "ap-south", kind: "item", ids: ["i1"] },
        "forged-secret-0123456789",
      ),
      401,
      "unauthorized",
    );
    await expectErrorResponse(
      await signedPost("/internal/hot/get", { region: "ap-south", kind: "weather", ids: ["x"] }),
      400,
      "invalid_parameter",
      "kind",
    );
  });

  it("answers the pool bytes, then 'unchanged' for the version the edge holds", async () => {
    const first = await signedPost("/internal/hot/pool", { region: "ap-south" });
    expect(first.headers.get("content-type")).toBe("application/octet-stream");
    const version = Number(first.headers.get("x-hot-pool-version"));
    expect((await first.arrayBuffer()).byteLength).toBeGreaterThan(1_000);
    const again = await signedPost("/internal/hot/pool", {
      region: "ap-south",
      haveVersion: version,
    });
    expect(await again.json()).toEqual({ unchanged: true });
  });
});

describe("EDGE_PUBLISH_URLS", () => {
  const base = { ORIGIN_SIGNING_SECRET: SECRET, REGION: "eu-west" };

  it("takes bare URLs as edges of the origin's region and region=url pairs as named", () => {
    const config = loadOriginConfig({
      ...base,
      EDGE_PUBLISH_URLS: "http://127.0.0.1:8787/, ap-south=https://ap.example.com",
    });
    expect(config.hot.edges).toEqual([
      { url: "http://127.0.0.1:8787", region: "eu-west" },
      { url: "https://ap.example.com", region: "ap-south" },
    ]);
    expect(loadOriginConfig(base).hot.edges).toEqual([]);
  });

  it("refuses what is not a URL or not a region, naming the variable", () => {
    expect(() => loadOriginConfig({ ...base, EDGE_PUBLISH_URLS: "ftp://x" })).toThrow(ConfigError);
    expect(() => loadOriginConfig({ ...base, EDGE_PUBLISH_URLS: "Bad Region=http://x" })).toThrow(
      /EDGE_PUBLISH_URLS/,
    );
  });
});
