import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  OriginRecommendationResponse,
  RecommendationResponse,
  type Tier,
} from "#shared/api/recommendations";
import { assignArm, compileExperiment } from "#shared/experiments/assign-arm";
import type { ExperimentConfig } from "#shared/experiments/experiment-config";
import { edgeConfig } from "../src/config/edge-config.js";
import type { EdgeBindings } from "../src/env.js";
import { edgePorts } from "../src/pipeline/edge-ports.js";
import type { ModelPicker } from "../src/pipeline/ports.js";
import { sessionCookieName } from "../src/security/shopper-identity.js";
import { originAdmin as admin, signedOriginPost } from "./support/origin-calls.js";

/**
 * A 70/30 experiment on one surface, through the real origin and the edge's
 * hot layer: the edge assigns each shopper's arm with the origin's hash and
 * keys its inference cache by that arm's model, so the 30% arm never shares
 * the 70% arm's entries, and a new version of one arm moves only its keys.
 */

const BASE = "http://edge.test";
/** The test's bindings (the pool's injected secrets included). */
const bindings = env as unknown as EdgeBindings;
/** No other edge test runs an experiment here; theirs only need some answer from it. */
const SURFACE = "cart";
const MODEL_B = `arm-b-${crypto.randomUUID().slice(0, 8)}`;
const EXPERIMENT: ExperimentConfig = {
  salt: `arms-${crypto.randomUUID()}`,
  arms: [
    { name: "a", modelId: "demo", version: 1, weight: 70 },
    // No version: arm b follows model B's active version, so an activation moves it.
    { name: "b", modelId: MODEL_B, weight: 30 },
  ],
};
const COMPILED = compileExperiment(EXPERIMENT);
const armOf = (unit: string) => assignArm(COMPILED, unit).name;
const PRICE_GRAPH = {
  nodes: [{ id: "item", entity: "item", key: [{ input: "candidate" }] }],
  columns: [{ node: "item", feature: "price" }],
};
const linear = (weight: number) => ({
  format: "linear",
  version: 1,
  weights: [weight],
  bias: 0,
  link: "identity",
});
/** Hot entries reach an isolate within HOT_FRESHNESS_MS (5 s); a loaded box gets more. */
const PROPAGATION_MS = 20_000;
/** Asks until the answer is stored: degraded or key-unknown answers (a busy box) are not. */
const ATTEMPTS = 15;

/** A session cookie as the edge signs it (hono's format), for a session id the test chose. */
async function cookieFor(sessionId: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(bindings.SESSION_COOKIE_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(sessionId));
  const base64 = btoa(String.fromCharCode(...new Uint8Array(signature)));
  return `${sessionCookieName(BASE)}=${encodeURIComponent(`${sessionId}.${base64}`)}`;
}

/** `count` new session ids the experiment puts in `arm`. */
function sessionsIn(arm: string, count: number): string[] {
  const found: string[] = [];
  while (found.length < count) {
    const id = crypto.randomUUID();
    if (armOf(id) === arm) found.push(id);
  }
  return found;
}

const picker = () => edgePorts(bindings, edgeConfig(bindings)).modelsOf(SURFACE);

/** Waits until the edge's hot layer assigns `unit` to a model matching `model`. */
async function untilEdgePicks(unit: string, model: string): Promise<ModelPicker> {
  const started = Date.now();
  let last = "";
  while (Date.now() - started < PROPAGATION_MS) {
    const pick = await picker();
    last = pick(unit).model;
    if (last === model) return pick;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the edge still picks ${last} for ${unit}, not ${model}`);
}

async function ask(path: string, cookie: string): Promise<RecommendationResponse> {
  const response = await exports.default.fetch(`${BASE}${path}`, { headers: { cookie } });
  expect(response.status).toBe(200);
  return RecommendationResponse.parse(await response.json());
}

/** Asks until this shopper's answer comes from isolate memory: an entry is stored for its key. */
async function untilStored(path: string, cookie: string): Promise<RecommendationResponse> {
  let body = await ask(path, cookie);
  for (let attempt = 0; body.tier !== "memory" && attempt < ATTEMPTS; attempt++) {
    body = await ask(path, cookie);
  }
  expect(body.tier).toBe("memory");
  return body;
}

/** The origin's own answer for these ids, asked as the edge asks (signed). */
interface Unit {
  userId?: string;
  sessionId?: string;
  experimentUnit?: string;
}

async function originArm(ids: Unit): Promise<OriginRecommendationResponse> {
  const body = { surface: SURFACE, k: 3, region: "edge-test", ...ids };
  const response = await signedOriginPost("/internal/recommendations", body);
  return OriginRecommendationResponse.parse(await response.json());
}

const NOT_CACHED: Tier[] = ["origin", "edge"];

describe("experiment arms in the inference cache key", () => {
  const [onA1, onA2] = sessionsIn("a", 2) as [string, string];
  const [onB1, onB2] = sessionsIn("b", 2) as [string, string];

  beforeAll(async () => {
    await admin("PUT", `/models/${MODEL_B}`, { model: linear(0.001), graph: PRICE_GRAPH });
    await admin("PUT", `/experiments/${SURFACE}`, { experiment: EXPERIMENT });
    await untilEdgePicks(onB1, `${MODEL_B}@1`);
  });

  it("puts every shopper in the arm the origin scores them with", async () => {
    const pick = await picker();
    const units: Unit[] = [
      ...Array.from({ length: 12 }, (_, i) => ({ userId: `u${String(i + 1).padStart(4, "0")}` })),
      ...Array.from({ length: 6 }, () => ({ sessionId: crypto.randomUUID() })),
      // A new visitor: the edge withholds the session (a shared list) but names the unit.
      ...Array.from({ length: 6 }, () => ({ experimentUnit: crypto.randomUUID() })),
    ];
    const arms = new Set<string>();
    for (const ids of units) {
      const unit = ids.userId ?? ids.sessionId ?? ids.experimentUnit ?? "";
      const edge = pick(unit);
      const origin = await originArm(ids);
      expect(origin.arm, JSON.stringify(ids)).toBe(edge.arm);
      expect(`${origin.model?.id}@${origin.model?.version}`).toBe(edge.model);
      arms.add(edge.arm ?? "");
    }
    // Both arms were compared, not only the 70% one.
    expect(arms).toEqual(new Set(["a", "b"]));
  });

  it("keeps the arms' entries apart, and a new version of arm b moves only b's keys", async () => {
    const [a1, a2, b1, b2] = await Promise.all([onA1, onA2, onB1, onB2].map(cookieFor));
    const path = `/v1/recommendations?surface=${SURFACE}&k=5&budgetMs=200&itemId=ctx-${crypto.randomUUID()}`;
    // New visitors (no events) share their region's list, but only within their arm.
    await untilStored(path, a1 as string);
    expect((await ask(path, a2 as string)).tier).toBe("memory");
    expect(NOT_CACHED).toContain((await ask(path, b1 as string)).tier);
    await untilStored(path, b1 as string);
    expect((await ask(path, b2 as string)).tier).toBe("memory");

    await admin("PUT", `/models/${MODEL_B}`, {
      model: linear(-0.001),
      graph: PRICE_GRAPH,
      activate: true,
    });
    const pick = await untilEdgePicks(onB1, `${MODEL_B}@2`);
    expect(pick(onA1).model).toBe("demo@1");
    // Arm a's key did not move: still its entry (fresh or stale). Arm b's did: a new entry.
    expect((await ask(path, a1 as string)).tier).toBe("memory");
    expect(NOT_CACHED).toContain((await ask(path, b2 as string)).tier);
    const after = await untilStored(path, b1 as string);
    expect(after.items.length).toBeGreaterThan(0);
  });
});
