import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecommendationResponse } from "#shared/api/recommendations";
import { buildEdgeWorker, startEdgeMiniflare } from "../../../scripts/lib/edge-miniflare.js";
import { type OriginProcess, startOriginProcess } from "../../../scripts/lib/origin-process.js";

/** 16 shoppers at once: enough to keep requests in flight across the kill, gentle on 2 cores. */
const CONCURRENCY = 16;
/** Load phases: origin up, origin killed, origin starting again (may answer any moment), origin restarted. */
const PHASE_MS = 2_500;
const SECRET = `edge-down-${crypto.randomUUID()}`;

const dir = mkdtempSync(join(tmpdir(), "reco-edge-down-"));
const originEnv = {
  ORIGIN_SIGNING_SECRET: SECRET,
  LMDB_PATH: join(dir, "lmdb"),
  SEED_DEMO_DATA: "true",
  REGION: "down-test",
};
let origin: OriginProcess | undefined;
let edge: Miniflare | undefined;

beforeAll(async () => {
  origin = await startOriginProcess(originEnv);
  const script = await buildEdgeWorker(join(dir, "edge"));
  edge = await startEdgeMiniflare(script, {
    ORIGIN_URL: origin.url,
    ORIGIN_SIGNING_SECRET: SECRET,
    SESSION_COOKIE_SECRET: `cookie-${SECRET}`,
    SHOPPER_TOKEN_SECRET: `token-${SECRET}`,
    REGION: "down-test",
    // One load generator is one client: the per-client rate limit would answer 429s.
    RATE_LIMIT_PER_SECOND: "0",
  });
}, 120_000);

afterAll(async () => {
  await edge?.dispose();
  await origin?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  phase: "up" | "down" | "restarting" | "restarted";
  status: number;
  degraded?: boolean;
  tier?: string;
}

/** Every request has its own context (item id), so each one misses the cache and needs the origin. */
async function ask(mf: Miniflare, budgetMs = 50): Promise<Omit<Answer, "phase">> {
  const response = await mf.dispatchFetch(
    `http://edge.test/v1/recommendations?surface=home&budgetMs=${budgetMs}&itemId=ctx-${crypto.randomUUID()}`,
  );
  if (response.status !== 200) {
    await response.text();
    return { status: response.status };
  }
  const body = RecommendationResponse.parse(await response.json());
  return { status: 200, degraded: body.degraded, tier: body.tier };
}

/**
 * Asks one at a time with the largest budget until the origin's own answer
 * arrives (a cold origin on a busy 2-core box can be late at first); false
 * after 30 s.
 */
async function untilOriginAnswers(mf: Miniflare): Promise<boolean> {
  const giveUpAt = Date.now() + 30_000;
  while (Date.now() < giveUpAt) {
    const answer = await ask(mf, 200);
    if (answer.tier === "origin" && answer.degraded === false) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe("origin down under load (origin and edge as real processes)", () => {
  it("answers every request without a 5xx while the origin is killed, and recovers by itself", async () => {
    const mf = edge as Miniflare;
    const url = (origin as OriginProcess).url;
    expect(await untilOriginAnswers(mf)).toBe(true); // the setup works before anything is broken
    const answers: Answer[] = [];
    let phase: Answer["phase"] = "up";
    let running = true;
    const shoppers = Array.from({ length: CONCURRENCY }, async () => {
      while (running) {
        const started = phase;
        answers.push({ phase: started, ...(await ask(mf)) });
      }
    });

    await new Promise((resolve) => setTimeout(resolve, PHASE_MS));
    // A crash, not a shutdown: connections die mid-request.
    (origin as OriginProcess).child.kill("SIGKILL");
    await new Promise((resolve) => (origin as OriginProcess).child.once("exit", resolve));
    phase = "down";
    await new Promise((resolve) => setTimeout(resolve, PHASE_MS));
    // From here the new origin may be listening before startOriginProcess resolves:
    // answers begun now may come from it, so they are not counted as "down".
    phase = "restarting";
    origin = await startOriginProcess({ ...originEnv, ORIGIN_PORT: new URL(url).port });
    phase = "restarted";
    await new Promise((resolve) => setTimeout(resolve, PHASE_MS));
    running = false;
    await Promise.all(shoppers);
    // Recovery needs no action at the edge: the same running edge gets origin answers again.
    const recovered = await untilOriginAnswers(mf);

    const serverErrors = answers.filter((a) => a.status >= 500);
    expect(serverErrors).toEqual([]);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const down = answers.filter((a) => a.phase === "down");
    expect(down.length).toBeGreaterThan(0);
    // With the origin gone nothing can come from it: every answer is the edge's own, labelled degraded.
    expect(down.every((a) => a.degraded === true && a.tier !== "origin")).toBe(true);
    expect(recovered).toBe(true);
    console.log(
      `origin-down load: ${answers.length} answers, ${down.length} while down, 0 5xx; by phase:`,
      Object.fromEntries(
        (["up", "down", "restarting", "restarted"] as const).map((p) => [
          p,
          {
            total: answers.filter((a) => a.phase === p).length,
            degraded: answers.filter((a) => a.phase === p && a.degraded).length,
          },
        ]),
      ),
    );
  }, 120_000);
});
