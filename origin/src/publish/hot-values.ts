import { Surface } from "#shared/api/recommendations";
import { hashUnit } from "#shared/experiments/assign-arm";
import type { HotKind, HotWireEntry } from "#shared/hot/hot-contract";
import { type HotArm, type HotSurfaceExperiment, modelKeyOf } from "#shared/hot/hot-surface-model";
import { ApiError } from "#shared/http/api-error";
import { recordKeys } from "../catalog/record-keys.js";
import type { ExperimentsStore } from "../experiments/experiments-store.js";
import type { FeatureServices } from "../features/feature-services.js";
import { featureRecordKey, joinKey, regionalBin } from "../features/layout.js";
import { decayedScores, topKeys } from "../features/storage-read.js";
import { toWireValue } from "../features/values.js";
import type { ModelRegistry } from "../models/registry/model-registry.js";
import { POPULAR_BINS } from "../recommend/popular.js";
import type { RulesStore } from "../rules/rules-store.js";
import type { BinValue, StorePort } from "../store/port.js";
import { CO_VISITED, TRENDING } from "../stream/stream-features.js";
import { poolOverlayRow } from "./pool-overlay.js";
import type { RetrievalPoolSource } from "./retrieval-pool.js";

/** What the hot layer's values are read from: the origin's own stores, built once per process. */
export interface HotSource {
  store: StorePort;
  namespace: string;
  features: FeatureServices;
  rules: RulesStore;
  experiments: ExperimentsStore;
  models?: ModelRegistry;
  /** The retrieval pool's source, for `poolOverlay` entries (set once it is built). */
  pool?: RetrievalPoolSource;
}

/** Wire names the edge filters on (`inStock`); other item features keep their registry names. */
const ITEM_FIELD_NAMES: Readonly<Record<string, string>> = { in_stock: "inStock" };

type Row = { value: unknown; version: number; updatedAt: number };

const ABSENT: Row = { value: null, version: 0, updatedAt: 0 };

/**
 * The current hot values of one kind in one edge region, one entry per id in
 * order: `item` is the item's non-vector features (its embedding travels in
 * the retrieval pool), `user` every user feature (an `embedding` is the
 * edge's query vector), `trending` (id = region) and `covisit` (id = item)
 * the stream's decayed top lists with scores, `rules` the surface's document,
 * `model` the surface's experiment: every arm with its weight and resolved
 * model (`HotSurfaceModel`; `null`: no experiment).
 * `poolOverlay` (id = a pool version) the stock, category and brand of items
 * written since that pool was built (`pool-overlay.ts`).
 *
 * @example
 * const [entry] = await readHotEntries(source, "ap-south", "item", ["i00001"]);
 */
export async function readHotEntries(
  source: HotSource,
  region: string,
  kind: HotKind,
  ids: readonly string[],
): Promise<HotWireEntry[]> {
  const observedAt = Date.now();
  let rows: Row[];
  switch (kind) {
    case "item":
    case "user":
      rows = await featureRows(source, kind, ids, observedAt);
      break;
    case "trending":
      rows = await withPopularWhenEmpty(
        source,
        ids,
        await topRows(source, "region", TRENDING, ids, observedAt),
      );
      break;
    case "covisit":
      rows = await topRows(
        source,
        "item_region",
        CO_VISITED,
        ids.map((id) => joinKey([id, region])),
        observedAt,
      );
      break;
    case "rules":
      rows = ids.map((surface) => rulesRow(source, surface));
      break;
    case "model":
      rows = await Promise.all(ids.map((surface) => modelRow(source, surface, observedAt)));
      break;
    case "poolOverlay":
      rows = await Promise.all(ids.map((version) => poolOverlayRow(source, version)));
      break;
  }
  return ids.map((id, i) => ({ kind, id, ...(rows[i] ?? ABSENT), observedAt }));
}

/** Non-vector features of the entity, by one batched read; an id with nothing stored is absent. */
async function featureRows(
  source: HotSource,
  entity: "item" | "user",
  ids: readonly string[],
  now: number,
): Promise<Row[]> {
  const compiled = source.features.registry.snapshot().entities.get(entity);
  // Item vectors travel in the retrieval pool; a user's embedding is the edge's query vector.
  const names = compiled
    ? [...compiled.features.values()]
        .filter((f) => entity === "user" || !f.isVector)
        .map((f) => f.def.name)
    : [];
  if (names.length === 0) return ids.map(() => ABSENT);
  const [group] = await source.features.server.get([{ entity, keys: [...ids], features: names }]);
  return (group?.rows ?? []).map((row) => {
    const value: Record<string, unknown> = {};
    let updatedAt = 0;
    let stored = false;
    names.forEach((name, f) => {
      const status = row.status[f];
      if (status === "present" || status === "expired") stored = true;
      value[ITEM_FIELD_NAMES[name] ?? name] = toWireValue(row.values[f] ?? null);
      const age = row.ageMs[f];
      if (typeof age === "number") updatedAt = Math.max(updatedAt, now - age);
    });
    // The last write time is the content version: it moves exactly when a value is rewritten.
    return stored ? { value, version: updatedAt, updatedAt } : ABSENT;
  });
}

function isMap(value: BinValue | undefined): value is { [key: string]: BinValue } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

/**
 * A region with no trending yet (new, or no events) gets the popularity list
 * (regional, else global) in its place: the edge's last rung when the origin
 * is down, so a new visitor in an empty region still gets a list.
 */
async function withPopularWhenEmpty(
  source: HotSource,
  regions: readonly string[],
  rows: Row[],
): Promise<Row[]> {
  return Promise.all(
    rows.map(async (row, i) => {
      const trending = row.value as { items?: unknown[] } | undefined;
      if ((trending?.items?.length ?? 0) > 0) return row;
      const keys = recordKeys(source.namespace);
      const [regional, global] = await source.store.batchGet(
        [keys.popular(regions[i] as string), keys.popular("global")],
        POPULAR_BINS,
      );
      const popular = regional ?? global;
      const items = (popular?.bins.items as string[] | undefined) ?? [];
      if (items.length === 0) return row;
      const n = Math.min(items.length, TRENDING.storage.n);
      const scores = (popular?.bins.scores as number[] | undefined) ?? [];
      const computedAt = (popular?.bins.computedAt as number | undefined) ?? row.updatedAt;
      return {
        value: {
          items: items.slice(0, n),
          scores: items.slice(0, n).map((_, j) => scores[j] ?? 0),
        },
        // The read time versions it, as trending's: a later read is never older.
        version: row.version,
        updatedAt: computedAt,
      };
    }),
  );
}

/** A decayed top list (trending, co-visitation) with its scores, summed over every region's bin. */
async function topRows(
  source: HotSource,
  entity: string,
  top: typeof TRENDING,
  keys: readonly string[],
  now: number,
): Promise<Row[]> {
  const regions = source.features.registry.snapshot().regions;
  const bins = regions.map((r) => regionalBin(top.bin, r));
  const records = await source.store.batchGet(
    keys.map((key) => featureRecordKey(source.namespace, entity, key)),
    bins,
  );
  return records.map((record) => {
    const maps = bins.map((bin) => record?.bins[bin]).filter(isMap);
    const scores = decayedScores(maps, top.storage.halfLifeSeconds, now);
    const items = topKeys(scores, top.storage.n);
    // Scores decay continuously: the read time is the version (every refresh is newer).
    return {
      value: { items, scores: items.map((id) => round(scores.get(id) ?? 0)) },
      version: now,
      updatedAt: now,
    };
  });
}

/** Six significant digits: enough to rank by, and stable bytes on the wire. */
function round(score: number): number {
  return Number(score.toPrecision(6));
}

function rulesRow(source: HotSource, surface: string): Row {
  if (!Surface.safeParse(surface).success) return ABSENT;
  const doc = source.rules.document(surface);
  return doc ? { value: doc, version: doc.version, updatedAt: doc.updatedAt } : ABSENT;
}

/**
 * The surface's experiment as the edge needs it to key its inference cache:
 * salt, and every arm with its weight and the model version it scores with
 * (a pinned version, else the model's active one; `null` when the registry
 * has no such model). The edge assigns the shopper's arm with the origin's
 * own hash (`#shared/experiments/assign-arm`).
 * Entry version: the experiment's version × 10⁶ plus a hash of the resolved
 * models, so a changed split, an activation or a rollback moves it.
 */
async function modelRow(source: HotSource, surface: string, now: number): Promise<Row> {
  if (!Surface.safeParse(surface).success) return ABSENT;
  const doc = source.experiments.document(surface);
  if (!doc || !source.models) return { value: null, version: 0, updatedAt: now };
  const models = source.models;
  const arms: HotArm[] = await Promise.all(
    doc.experiment.arms.map(async (arm) => {
      const model = await (arm.version === undefined
        ? models.resolve(arm.modelId)
        : models.resolveVersion(arm.modelId, arm.version)
      ).catch((error: unknown) => {
        // An arm pinned to a version that does not exist: no model, as the re-rank treats it.
        if (error instanceof ApiError && error.code === "not_found") return null;
        throw error;
      });
      return {
        name: arm.name,
        weight: arm.weight,
        model: model ? { id: model.id, version: model.version } : null,
      };
    }),
  );
  const value: HotSurfaceExperiment = { salt: doc.experiment.salt, arms };
  const resolved = arms.map((arm) => modelKeyOf(arm.model)).join(",");
  return {
    value,
    version: doc.version * 1_000_000 + (hashUnit(resolved) % 1_000_000),
    updatedAt: doc.updatedAt,
  };
}
