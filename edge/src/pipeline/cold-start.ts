import type { Tier } from "#shared/api/recommendations";
import { within } from "./deadline.js";
import type { PipelinePorts, RerankInput } from "./ports.js";
import type { CachedList } from "./recommend.js";

/**
 * How long a request with nothing at all to answer may wait past its budget:
 * an empty list is the one answer worse than a late one. A second: a cold
 * origin on a loaded box took up to ~0.4 s for its first ladder answer and
 * hot pull here (a page's lazy carousel still fills that late; later, the
 * shopper has moved on). It happens once per new isolate or region, until
 * its hot layer holds the region's trending list.
 */
export const COLD_START_WAIT_MS = 1_000;
/** Between two reads of a trending list the region store did not have yet (its pull goes on). */
const TRENDING_RETRY_MS = 20;

export interface ColdStartList {
  value: CachedList;
  computedAt: number;
  tier: Tier;
}

/** The origin's side of the race: settled (answered or failed) is what the trending side watches. */
interface OriginSide {
  settled: boolean;
}

/**
 * The region's trending list as soon as the hot layer has it: a read the
 * region store could not answer within its pull wait is asked again (the
 * store's pull from the origin carries on meanwhile and fills it). Gives up
 * once the origin's side settled without a list and one more read found
 * nothing (the origin is down: the store has nothing coming).
 */
async function trendingOnceLoaded(
  ports: PipelinePorts,
  region: string,
  k: number,
  origin: OriginSide,
): Promise<ColdStartList | undefined> {
  for (;;) {
    const originSettled = origin.settled;
    const trending = await ports.trending(region).catch(() => undefined);
    if (trending && trending.items.length > 0) {
      return {
        value: {
          items: trending.items
            .slice(0, k)
            .map((id, i) => ({ id, score: trending.scores[i] ?? 0 })),
          lens: "business",
        },
        computedAt: trending.updatedAt,
        tier: "edge",
      };
    }
    if (originSettled) return undefined;
    await new Promise((resolve) => setTimeout(resolve, TRENDING_RETRY_MS));
  }
}

/** The first of `reads` that has items, or `undefined` once all settled without. */
function firstWithItems(
  reads: readonly Promise<ColdStartList | undefined>[],
): Promise<ColdStartList | undefined> {
  return new Promise((resolve) => {
    let pending = reads.length;
    const done = (list: ColdStartList | undefined) => {
      if (list && list.value.items.length > 0) resolve(list);
      else if (--pending === 0) resolve(undefined);
    };
    for (const read of reads) read.then(done, () => done(undefined));
  });
}

/**
 * The rung below regional trending, for a brand-new isolate or region whose
 * hot loads have not landed within the budget (docs/edge.md, "Cold start"):
 * the origin's own ladder (`/internal/recommendations` without candidates:
 * regional trending, popular) and the hot layer's trending load race, and
 * the first with items answers. `undefined` when neither has items within
 * `COLD_START_WAIT_MS` (the origin is down too and nothing was ever held).
 * Called only when edge retrieval found nothing, so `rerank` has no candidates.
 */
export function coldStartList(
  ports: PipelinePorts,
  rerank: RerankInput,
  requestId: string,
): Promise<ColdStartList | undefined> {
  const origin: OriginSide = { settled: false };
  const fromOrigin = ports
    .rerank(rerank, { requestId, timeoutMs: COLD_START_WAIT_MS })
    .then((answer) => ({
      value: { items: answer.items.slice(0, rerank.k), lens: answer.lens },
      computedAt: answer.computedAt,
      tier: "origin" as const,
    }))
    .finally(() => {
      origin.settled = true;
    });
  const fromTrending = trendingOnceLoaded(ports, rerank.region, rerank.k, origin);
  return within(firstWithItems([fromOrigin, fromTrending]), COLD_START_WAIT_MS);
}
