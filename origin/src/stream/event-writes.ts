import type { AcceptedEvent } from "#shared/api/events";
import { bucketIndex, decayPeriod, decayWeight } from "../features/layout.js";
import { INTEREST_WEIGHTS, TRENDING_WEIGHTS, touchesItems } from "./event-weights.js";
import type { BatchWrites } from "./record-batch.js";
import { INTENT_HALF_LIFE_SECONDS, SESSION_TTL_SECONDS } from "./session-intent.js";
import {
  AFFINITY,
  type RegionalBins,
  SESSION_FEATURES,
  TRENDING,
  USER_FEATURES,
} from "./stream-features.js";
import { WindowTrims } from "./window-trims.js";

/**
 * A user×category record whose affinity has halved 26 times (182 days
 * without a write at a 7-day half-life) is below 1e-7 of its value: let it go.
 */
export const USER_CATEGORY_TTL_SECONDS = 26 * 7 * 24 * 3600;

export interface BatchContext {
  /** The bins of the region this processor writes for: it owns the `<bin>.<region>` bins. */
  bins: RegionalBins;
  /** Processing time (epoch ms): window trims and event-time clamping are relative to it. */
  now: number;
  /** Category per item id, from the catalog (events may override). */
  categories: ReadonlyMap<string, string>;
  /** Which window trims this process already did for the current buckets. */
  windowTrims: WindowTrims;
}

/** How each list is pushed to (built once, not per event). */
const LAST_ACTIONS = { unique: false as const, cap: SESSION_FEATURES.lastActions.cap };
const SESSION_ITEMS = { unique: true, cap: SESSION_FEATURES.recentItems.cap };
const USER_ITEMS = { unique: true, cap: USER_FEATURES.recentItems.cap };
const USER_CATEGORIES = { unique: true, cap: USER_FEATURES.recentCategories.cap };
const USER_PURCHASES = { unique: true, cap: USER_FEATURES.purchasedItems.cap };

/** One event's items a session touched, for co-visitation once the session's prior items are known. */
export interface SessionTouch {
  /** The event's touched items, in the event's order (pushed to the front as one block). */
  items: readonly string[];
  /** Event time (clamped to now). */
  ts: number;
  /** Region of the event (item_region key part). */
  region: string;
}

/** Session id -> its touches in this batch, oldest first. */
export type SessionTouches = Map<string, SessionTouch[]>;

/** The event's items, each once (almost always one item: no copy then). */
function unique(values: readonly string[]): readonly string[] {
  return values.length < 2 ? values : [...new Set(values)];
}

function categoryOf(event: AcceptedEvent, item: string, context: BatchContext): string | undefined {
  return event.context?.category ?? context.categories.get(item);
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
  const touched = touchesItems(event.type) ? items : [];

  if (event.userId !== undefined) {
    addUserWrites(batch, event.userId, event, ts, touched, items, context);
  }
  if (event.sessionId !== undefined) {
    addSessionWrites(batch, event.sessionId, event, ts, touched, items, context, touches);
  }

  const counters = context.bins.counters[event.type];
  if (counters.length > 0) {
    for (const item of items) {
      const record = batch.record2("item_region", item, event.region);
      record.windowTrims ??= context.windowTrims.of(record.key.key);
      for (const counter of counters) {
        record.bucketAdd(counter.regional, bucketIndex(ts, counter.bucketSeconds), 1);
        const oldest = bucketIndex(context.now, counter.bucketSeconds) - counter.buckets + 1;
        if (WindowTrims.due(record.windowTrims, counter.regional, oldest)) {
          record.trimBelow(counter.regional, oldest);
        }
        record.stamp(counter.bin);
      }
    }
  }

  const trending = TRENDING_WEIGHTS[event.type];
  if (trending > 0 && items.length > 0) {
    const { bin, storage } = TRENDING;
    const record = batch.record("region", event.region);
    const regional = context.bins.trending;
    const period = decayPeriod(ts, storage.halfLifeSeconds);
    const weight = trending * decayWeight(ts, storage.halfLifeSeconds);
    for (const item of items) record.topAdd(regional, period, item, weight);
    record.stamp(bin);
    record.readSize(regional);
  }
}

function addSessionWrites(
  batch: BatchWrites,
  sessionId: string,
  event: AcceptedEvent,
  ts: number,
  touched: readonly string[],
  items: readonly string[],
  context: BatchContext,
  touches: SessionTouches,
): void {
  const session = batch.record("session", sessionId);
  session.ttl = SESSION_TTL_SECONDS;
  const { lastActions, recentItems, intentScores, intentCategory } = SESSION_FEATURES;
  if (event.type === "search") {
    session.pushPrefixedFront(
      lastActions.bin,
      "search",
      [event.context?.query ?? ""],
      LAST_ACTIONS,
    );
    session.stamp(lastActions.bin);
  } else if (touched.length > 0) {
    // `<type>:<item>`, built only for the actions the list's cap keeps.
    session.pushPrefixedFront(lastActions.bin, event.type, touched, LAST_ACTIONS);
    session.stamp(lastActions.bin);
  }
  if (touched.length > 0) {
    session.pushFront(recentItems.bin, touched, SESSION_ITEMS);
    session.stamp(recentItems.bin);
    let sessionTouches = touches.get(sessionId);
    if (!sessionTouches) {
      sessionTouches = [];
      touches.set(sessionId, sessionTouches);
    }
    sessionTouches.push({ items: touched, ts, region: event.region });
  }
  const interest = INTEREST_WEIGHTS[event.type];
  if (interest !== 0) {
    const period = decayPeriod(ts, INTENT_HALF_LIFE_SECONDS);
    const weight = interest * decayWeight(ts, INTENT_HALF_LIFE_SECONDS);
    for (const item of items) {
      const category = categoryOf(event, item, context);
      if (category === undefined) continue;
      session.topAdd(intentScores.bin, period, category, weight);
      session.read(intentScores.bin);
      session.read(intentCategory.bin);
    }
  }
}

function addUserWrites(
  batch: BatchWrites,
  userId: string,
  event: AcceptedEvent,
  ts: number,
  touched: readonly string[],
  items: readonly string[],
  context: BatchContext,
): void {
  const user = batch.record("user", userId);
  const { recentItems, recentCategories, purchasedItems } = USER_FEATURES;
  if (touched.length > 0) {
    user.pushFront(recentItems.bin, touched, USER_ITEMS);
    user.stamp(recentItems.bin);
    if (touched.length === 1) {
      const category = categoryOf(event, touched[0] as string, context);
      if (category !== undefined) {
        user.pushOneFront(recentCategories.bin, category, USER_CATEGORIES);
        user.stamp(recentCategories.bin);
      }
    } else {
      const categories: string[] = [];
      for (const item of touched) {
        const category = categoryOf(event, item, context);
        if (category !== undefined && !categories.includes(category)) categories.push(category);
      }
      if (categories.length > 0) {
        user.pushFront(recentCategories.bin, categories, USER_CATEGORIES);
        user.stamp(recentCategories.bin);
      }
    }
  }
  if (event.type === "purchase") {
    user.pushFront(purchasedItems.bin, items, USER_PURCHASES);
    user.stamp(purchasedItems.bin);
  }
  const interest = INTEREST_WEIGHTS[event.type];
  if (interest === 0) return;
  const { bin, storage } = AFFINITY;
  const period = decayPeriod(ts, storage.halfLifeSeconds);
  const weight = interest * decayWeight(ts, storage.halfLifeSeconds);
  for (const item of items) {
    const category = categoryOf(event, item, context);
    if (category === undefined) continue;
    const record = batch.record2("user_category", userId, category);
    record.ttl = USER_CATEGORY_TTL_SECONDS;
    record.bucketAdd(context.bins.affinity, period, weight, true);
    record.stamp(bin);
  }
}
