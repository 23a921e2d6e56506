import type { Lens } from "#shared/api/recommendations";
import type { LadderSignals } from "./ladder-signals.js";

/** One candidate with the ladder step that found it. */
export interface PoolEntry {
  id: string;
  lens: Lens;
  /** Why the step picked it, e.g. `co-visited with i00042`. */
  reason: string;
  /** Found only in a precomputed popularity list (its age is the list's, not now). */
  precomputed?: true;
}

export interface PoolOptions {
  /** Stop once this many distinct candidates are found. */
  size: number;
  region: string;
  /** Ids retrieved at the edge, re-ranked first (the request lens). */
  candidates?: readonly string[];
}

/** Most personal first: the response's lens is the first of these that put an item in the list. */
export const LENS_ORDER: readonly Lens[] = ["request", "user", "business"];

/** Takes one from each list in turn, so every seed's neighbours reach the top. */
function roundRobin(lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) {
    for (const list of lists) {
      const id = list[i];
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}

/**
 * The fallback ladder as an ordered candidate pool: the edge's candidates;
 * then the request lens (items co-visited with the session's items, then
 * business items of the session's categories); the user lens (the same from
 * the user's history); the business lens (regional trending, the regional
 * popularity list, the global one). Each step only adds what earlier steps
 * did not, and the items the shopper is looking at or saw recently are
 * never proposed (the edge's own candidates excepted).
 * Pure: the caller reads the signals (`readLadderSignals`).
 */
export function buildLadderPool(signals: LadderSignals, options: PoolOptions): PoolEntry[] {
  const pool: PoolEntry[] = [];
  // What the shopper is looking at or saw recently is context, not a recommendation.
  const context = [...signals.requestSeeds, ...signals.userSeeds];
  const seen = new Set<string>(context);
  const add = (
    ids: Iterable<string>,
    lens: Lens,
    reason: (id: string) => string,
    precomputed = false,
  ): void => {
    for (const id of ids) {
      if (pool.length >= options.size) return;
      if (seen.has(id)) continue;
      seen.add(id);
      pool.push(
        precomputed
          ? { id, lens, reason: reason(id), precomputed }
          : { id, lens, reason: reason(id) },
      );
    }
  };
  if (options.candidates) {
    // The edge's candidates may include what the shopper saw; the edge chose them, keep them.
    seen.clear();
    // Their lens is the most personal signal the request has: the edge retrieves from the same ones.
    const lens: Lens =
      signals.requestSeeds.length > 0
        ? "request"
        : signals.userSeeds.length > 0
          ? "user"
          : "business";
    add(options.candidates, lens, () => "retrieved at the edge");
    for (const seed of context) seen.add(seed);
  }

  const business = [...signals.trending, ...signals.regionalPopular, ...signals.globalPopular];
  const inCategories = (categories: ReadonlySet<string>) =>
    business.filter((id) => {
      const category = signals.categories.get(id);
      return category !== undefined && categories.has(category);
    });
  const neighboursOf = (seeds: readonly string[]) =>
    roundRobin(seeds.map((seed) => signals.coVisited.get(seed) ?? []));
  const seedOf = (seeds: readonly string[], id: string) =>
    seeds.find((seed) => signals.coVisited.get(seed)?.includes(id)) ?? "";

  const requestSeeds = signals.requestSeeds;
  add(neighboursOf(requestSeeds), "request", (id) => `co-visited with ${seedOf(requestSeeds, id)}`);
  const sessionCategories = new Set(
    [signals.sessionCategory, ...requestSeeds.map((s) => signals.categories.get(s) ?? "")].filter(
      (c) => c !== "",
    ),
  );
  add(
    inCategories(sessionCategories),
    "request",
    (id) => `same category as this session (${signals.categories.get(id)})`,
  );

  const userSeeds = signals.userSeeds;
  add(
    neighboursOf(userSeeds),
    "user",
    (id) => `co-visited with ${seedOf(userSeeds, id)} (history)`,
  );
  const userCategories = new Set(
    [...signals.userCategories, ...userSeeds.map((s) => signals.categories.get(s) ?? "")].filter(
      (c) => c !== "",
    ),
  );
  add(
    inCategories(userCategories),
    "user",
    (id) => `a category you like (${signals.categories.get(id)})`,
  );

  add(signals.trending, "business", () => `trending in ${options.region}`);
  add(signals.regionalPopular, "business", () => `popular in ${options.region}`, true);
  add(signals.globalPopular, "business", () => "popular everywhere", true);
  return pool;
}
