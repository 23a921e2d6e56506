import type { FeatureGroupRequest } from "#shared/features/serving";
import type { RecordKeys } from "../catalog/record-keys.js";
import type { FeatureServices } from "../features/feature-services.js";
import { KEY_PART_SEPARATOR } from "../features/layout.js";
import type { ServedGroup } from "../features/serving/feature-server.js";
import type { StorePort } from "../store/port.js";
import { POPULAR_BINS } from "./popular.js";

/** The item feature "same category" reads; the demo catalog declares it, other catalogs may not. */
export const CATEGORY_FEATURE = "category";
/** How much of the business list the same-category step looks through (one batched read). */
export const CATEGORY_SCAN = 200;

/** What the ladder knows about one request, read in two batched rounds. */
export interface LadderSignals {
  /** The request's own items, newest first: the current item, the edge's list, the session's. */
  requestSeeds: string[];
  /** The session's dominant category (stream feature), or "". */
  sessionCategory: string;
  /** The user's history, newest first (empty when anonymous or new). */
  userSeeds: string[];
  userCategories: string[];
  /** Region trending (stream), then the regional popularity list, then the global one. */
  trending: string[];
  regionalPopular: string[];
  globalPopular: string[];
  /** When the popularity list was computed (the age the edge reports). */
  computedAt: number;
  /** Co-visited items per seed (request and user seeds), best first. */
  coVisited: Map<string, string[]>;
  /** Category of each seed and of the first {@link CATEGORY_SCAN} business items, where known. */
  categories: Map<string, string>;
}

export interface SignalRequest {
  region: string;
  userId?: string;
  sessionId?: string;
  itemId?: string;
  recentItems?: readonly string[];
}

export interface SignalDeps {
  store: StorePort;
  keys: RecordKeys;
  features: Pick<FeatureServices, "registry" | "server">;
}

/** Ids that cannot be a key part are ignored, not an error: the ladder answers anyway. */
function usable(id: string | undefined): id is string {
  return id !== undefined && id.length > 0 && !id.includes(KEY_PART_SEPARATOR);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function dedupe(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}

/**
 * Reads every signal the fallback ladder may use in two rounds: (1) session,
 * user and region stream features in one feature-server call, with the
 * popularity records beside it; (2) the co-visitation lists of the seeds and
 * the categories of seeds and business items, in one more call. A missing
 * record is simply an empty signal: a new visitor in a new region reads
 * nothing and gets the global list.
 */
export async function readLadderSignals(
  deps: SignalDeps,
  request: SignalRequest,
): Promise<LadderSignals> {
  const regionKey = usable(request.region) ? request.region : undefined;
  const first: FeatureGroupRequest[] = [];
  const slot = { session: -1, user: -1, region: -1 };
  if (usable(request.sessionId)) {
    slot.session = first.length;
    first.push({
      entity: "session",
      keys: [request.sessionId],
      features: ["recent_items", "intent_category"],
    });
  }
  if (usable(request.userId)) {
    slot.user = first.length;
    first.push({
      entity: "user",
      keys: [request.userId],
      features: ["recent_items", "recent_categories"],
    });
  }
  if (regionKey) {
    slot.region = first.length;
    first.push({ entity: "region", keys: [regionKey], features: ["trending"] });
  }
  const [served, popular] = await Promise.all([
    first.length > 0 ? deps.features.server.get(first) : Promise.resolve([] as ServedGroup[]),
    deps.store.batchGet(
      [deps.keys.popular(regionKey ?? "global"), deps.keys.popular("global")],
      POPULAR_BINS,
    ),
  ]);
  const value = (index: number, feature: number): unknown =>
    index < 0 ? undefined : served[index]?.rows[0]?.values[feature];

  const requestSeeds = dedupe(
    [request.itemId, ...(request.recentItems ?? []), ...strings(value(slot.session, 0))].filter(
      usable,
    ),
  );
  const userSeeds = dedupe(strings(value(slot.user, 0)).filter(usable));
  const regional = regionKey === undefined ? undefined : popular[0];
  const global = popular[1];
  const signals: LadderSignals = {
    requestSeeds,
    sessionCategory: (value(slot.session, 1) as string | undefined) ?? "",
    userSeeds,
    userCategories: strings(value(slot.user, 1)),
    trending: strings(value(slot.region, 0)),
    regionalPopular: strings(regional?.bins.items),
    globalPopular: strings(global?.bins.items),
    computedAt:
      (regional?.bins.computedAt as number | undefined) ??
      (global?.bins.computedAt as number | undefined) ??
      Date.now(),
    coVisited: new Map(),
    categories: new Map(),
  };
  await readNeighbours(deps, signals, regionKey);
  return signals;
}

/** Round two: co-visitation of the seeds in this region, and categories for "same category". */
async function readNeighbours(
  deps: SignalDeps,
  signals: LadderSignals,
  region: string | undefined,
): Promise<void> {
  const seeds = dedupe([...signals.requestSeeds, ...signals.userSeeds]);
  const hasCategory = deps.features.registry
    .snapshot()
    .entities.get("item")
    ?.features.has(CATEGORY_FEATURE);
  const business = dedupe([
    ...signals.trending,
    ...signals.regionalPopular,
    ...signals.globalPopular,
  ]).slice(0, CATEGORY_SCAN);
  const categoryKeys = hasCategory ? dedupe([...seeds, ...business].filter(usable)) : [];
  const groups: FeatureGroupRequest[] = [];
  if (region && seeds.length > 0) {
    groups.push({
      entity: "item_region",
      keys: seeds.map((seed) => `${seed}${KEY_PART_SEPARATOR}${region}`),
      features: ["co_visited"],
    });
  }
  // Categories matter only when something personal (a seed or a known category) can use them.
  const wantsCategories =
    seeds.length > 0 || signals.sessionCategory !== "" || signals.userCategories.length > 0;
  if (categoryKeys.length > 0 && wantsCategories) {
    groups.push({ entity: "item", keys: categoryKeys, features: [CATEGORY_FEATURE] });
  }
  if (groups.length === 0) return;
  const served = await deps.features.server.get(groups);
  let next = 0;
  if (region && seeds.length > 0) {
    const rows = served[next++]?.rows ?? [];
    seeds.forEach((seed, i) => {
      signals.coVisited.set(seed, strings(rows[i]?.values[0]).filter(usable));
    });
  }
  const categoryRows = served[next]?.rows;
  if (categoryRows) {
    categoryKeys.forEach((id, i) => {
      const category = categoryRows[i]?.values[0];
      if (typeof category === "string" && category !== "") signals.categories.set(id, category);
    });
  }
}
