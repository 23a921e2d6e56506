import type { AcceptedEvent } from "#shared/api/events";
import {
  bucketIndex,
  bucketKey,
  decayPeriod,
  decayWeight,
  featureRecordKey,
  joinKey,
  regionalBin,
  topKey,
} from "../features/layout.js";
import {
  COUNTER_OF_TYPE,
  INTEREST_WEIGHTS,
  TRENDING_WEIGHTS,
  touchesItems,
} from "./event-weights.js";
import type { BatchWrites } from "./record-batch.js";
import { INTENT_HALF_LIFE_SECONDS, SESSION_TTL_SECONDS } from "./session-intent.js";
import {
  AFFINITY,
  itemRegionCounters,
  SESSION_FEATURES,
  TRENDING,
  USER_FEATURES,
} from "./stream-features.js";
import type { WindowTrims } from "./window-trims.js";

/**
 * A user×category record whose affinity has halved 26 times (182 days
 * without a write at a 7-day half-life) is below 1e-7 of its value: let it go.
 */
export const USER_CATEGORY_TTL_SECONDS = 26 * 7 * 24 * 3600;

export interface BatchContext {
  ns: string;
  /** The region this processor writes for: it owns the `<bin>.<region>` bins. */
  region: string;
  /** Processing time (epoch ms): window trims and event-time clamping are relative to it. */
  now: number;
  /** Category per item id, from the catalog (events may override). */
  categories: ReadonlyMap<string, string>;
  /** Which window trims this process already did for the current buckets. */
  windowTrims: WindowTrims;
}

/** One event's items a session touched, for co-visitation once the session's prior items are known. */
export interface SessionTouch {
  /** The event's touched items, in the event's order (pushed to the front as one block). */
  items: string[];
  /** Event time (clamped to now). */
  ts: number;
  /** Region of the event (item_region key part). */
  region: string;
}

/** Session id -> its touches in this batch, oldest first. */
export type SessionTouches = Map<string, SessionTouch[]>;

function unique(values: readonly string[]): string[] {
  return values.length < 2 ? [...values] : [...new Set(values)];
}

/**
 * Adds one event's feature writes to the batch. Call with the batch's events
 * in event-time order. Event times from the future (client clocks) count as now.
 */
export function addEventWrites(
  batch: BatchWrites,
  event: AcceptedEvent,
  context: BatchContext,
  touches: SessionTouches,
): void {
  const ts = Math.min(event.ts, context.now);
  const items = unique(event.itemIds);
  const categoryOf = (item: string) => event.context?.category ?? context.categories.get(item);
  const touched = touchesItems(event.type) ? items : [];
  const interest = INTEREST_WEIGHTS[event.type];

  if (event.userId !== undefined) {
    addUserWrites(batch, event.userId, event, ts, touched, items, categoryOf, context);
  }
  if (event.sessionId !== undefined) {
    const session = batch.record(featureRecordKey(context.ns, "session", event.sessionId));
    session.ttl = SESSION_TTL_SECONDS;
    const { lastActions, recentItems, intentScores, intentCategory } = SESSION_FEATURES;
    const actions =
      event.type === "search"
        ? [`search:${event.context?.query ?? ""}`]
        : touched.map((item) => `${event.type}:${item}`);
    if (actions.length > 0) {
      session.pushFront(lastActions.bin, actions, { unique: false, cap: lastActions.cap });
      session.stamp(lastActions.bin);
    }
    if (touched.length > 0) {
      session.pushFront(recentItems.bin, touched, { unique: true, cap: recentItems.cap });
      session.stamp(recentItems.bin);
      let sessionTouches = touches.get(event.sessionId);
      if (!sessionTouches) {
        sessionTouches = [];
        touches.set(event.sessionId, sessionTouches);
      }
      sessionTouches.push({ items: touched, ts, region: event.region });
    }
    if (interest !== 0) {
      const period = decayPeriod(ts, INTENT_HALF_LIFE_SECONDS);
      const weight = interest * decayWeight(ts, INTENT_HALF_LIFE_SECONDS);
      for (const item of items) {
        const category = categoryOf(item);
        if (category === undefined) continue;
        session.mapAdd(intentScores.bin, topKey(period, category), weight, true);
        session.read(intentScores.bin);
        session.read(intentCategory.bin);
      }
    }
  }

  const counter = COUNTER_OF_TYPE[event.type];
  if (counter !== undefined) {
    const counters = itemRegionCounters(counter);
    for (const item of items) {
      const key = joinKey([item, event.region]);
      const record = batch.record(featureRecordKey(context.ns, "item_region", key));
      for (const { bin, storage } of counters) {
        const regional = regionalBin(bin, context.region);
        const buckets = Math.ceil(storage.windowSeconds / storage.bucketSeconds);
        const oldest = bucketIndex(context.now, storage.bucketSeconds) - buckets + 1;
        record.mapAdd(regional, bucketKey(bucketIndex(ts, storage.bucketSeconds)), 1);
        const lowestKept = bucketKey(oldest);
        if (context.windowTrims.due(key, regional, lowestKept)) {
          record.trimBelow(regional, lowestKept);
        }
        record.stamp(bin);
      }
    }
  }

  const trending = TRENDING_WEIGHTS[event.type];
  if (trending > 0 && items.length > 0) {
    const { bin, storage } = TRENDING;
    const record = batch.record(featureRecordKey(context.ns, "region", event.region));
    const regional = regionalBin(bin, context.region);
    const period = decayPeriod(ts, storage.halfLifeSeconds);
    const weight = trending * decayWeight(ts, storage.halfLifeSeconds);
    for (const item of items) record.mapAdd(regional, topKey(period, item), weight, true);
    record.stamp(bin);
    record.readSize(regional);
  }
}

function addUserWrites(
  batch: BatchWrites,
  userId: string,
  event: AcceptedEvent,
  ts: number,
  touched: readonly string[],
  items: readonly string[],
  categoryOf: (item: string) => string | undefined,
  context: BatchContext,
): void {
  const user = batch.record(featureRecordKey(context.ns, "user", userId));
  const { recentItems, recentCategories, purchasedItems } = USER_FEATURES;
  if (touched.length > 0) {
    user.pushFront(recentItems.bin, touched, { unique: true, cap: recentItems.cap });
    user.stamp(recentItems.bin);
    const categories = unique(touched.map(categoryOf).filter((c): c is string => c !== undefined));
    if (categories.length > 0) {
      user.pushFront(recentCategories.bin, categories, { unique: true, cap: recentCategories.cap });
      user.stamp(recentCategories.bin);
    }
  }
  if (event.type === "purchase") {
    user.pushFront(purchasedItems.bin, items, { unique: true, cap: purchasedItems.cap });
    user.stamp(purchasedItems.bin);
  }
  const interest = INTEREST_WEIGHTS[event.type];
  if (interest === 0) return;
  const { bin, storage } = AFFINITY;
  const periodKey = bucketKey(decayPeriod(ts, storage.halfLifeSeconds));
  const weight = interest * decayWeight(ts, storage.halfLifeSeconds);
  for (const item of items) {
    const category = categoryOf(item);
    if (category === undefined) continue;
    const record = batch.record(
      featureRecordKey(context.ns, "user_category", joinKey([userId, category])),
    );
    record.ttl = USER_CATEGORY_TTL_SECONDS;
    record.mapAdd(regionalBin(bin, context.region), periodKey, weight, true);
    record.stamp(bin);
  }
}
