import {
  decayPeriod,
  decayWeight,
  featureRecordKey,
  joinKey,
  regionalBin,
  topKey,
} from "../features/layout.js";
import type { BinValue } from "../store/port.js";
import type { SessionTouch } from "./event-writes.js";
import type { BatchWrites } from "./record-batch.js";
import { CO_VISITED, SESSION_FEATURES } from "./stream-features.js";

/**
 * An item is co-visited with the 5 items the session touched just before it:
 * close enough in the journey to be related, and at most 10 map adds per touch.
 */
export const CO_VISIT_PARTNERS = 5;

/**
 * Adds co-visitation for one session's touches in this batch. Replays the
 * session's recent-items list from its state before the batch (`prior`,
 * newest first) exactly as the writes will change it: each event's items go
 * to the front, and every touched item x and each of the items right behind
 * it get each other added, weighted by the time of the touch. One batch or
 * one event at a time give the same pairs.
 */
export function addCoVisits(
  batch: BatchWrites,
  touches: readonly SessionTouch[],
  prior: BinValue | undefined,
  context: { ns: string; region: string },
): void {
  const { bin, storage } = CO_VISITED;
  const regional = regionalBin(bin, context.region);
  const cap = SESSION_FEATURES.recentItems.cap;
  let list: string[] = Array.isArray(prior)
    ? prior.filter((item): item is string => typeof item === "string")
    : [];
  for (const touch of touches) {
    const block = new Set(touch.items);
    list = [...touch.items, ...list.filter((item) => !block.has(item))].slice(0, cap);
    const period = decayPeriod(touch.ts, storage.halfLifeSeconds);
    const weight = decayWeight(touch.ts, storage.halfLifeSeconds);
    touch.items.forEach((item, at) => {
      const partners = list.slice(at + 1, at + 1 + CO_VISIT_PARTNERS);
      if (partners.length === 0) return;
      const own = batch.record(
        featureRecordKey(context.ns, "item_region", joinKey([item, touch.region])),
      );
      for (const partner of partners) {
        own.mapAdd(regional, topKey(period, partner), weight, true);
        const other = batch.record(
          featureRecordKey(context.ns, "item_region", joinKey([partner, touch.region])),
        );
        other.mapAdd(regional, topKey(period, item), weight, true);
        other.stamp(bin);
        other.readSize(regional);
      }
      own.stamp(bin);
      own.readSize(regional);
    });
  }
}
