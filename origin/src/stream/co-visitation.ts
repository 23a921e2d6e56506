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
import { CO_VISITED } from "./stream-features.js";

/**
 * An item is co-visited with the 5 items the session touched just before it:
 * close enough in the journey to be related, and at most 10 map adds per touch.
 */
export const CO_VISIT_PARTNERS = 5;

/**
 * Adds co-visitation for the items a session touched in this batch, given the
 * session's recent items after the batch's push (newest first): each touched
 * item x and each of the items right behind it in the list get each other
 * added, both ways, weighted by the time of x's touch.
 */
export function addCoVisits(
  batch: BatchWrites,
  touches: Iterable<SessionTouch>,
  recentItems: BinValue | undefined,
  context: { ns: string; region: string },
): void {
  if (!Array.isArray(recentItems)) return;
  const { bin, storage } = CO_VISITED;
  const regional = regionalBin(bin, context.region);
  for (const touch of touches) {
    const at = recentItems.indexOf(touch.item);
    if (at < 0) continue;
    const partners = recentItems.slice(at + 1, at + 1 + CO_VISIT_PARTNERS);
    if (partners.length === 0) continue;
    const period = decayPeriod(touch.ts, storage.halfLifeSeconds);
    const weight = decayWeight(touch.ts, storage.halfLifeSeconds);
    const own = batch.record(
      featureRecordKey(context.ns, "item_region", joinKey([touch.item, touch.region])),
    );
    for (const partner of partners) {
      if (typeof partner !== "string" || partner === touch.item) continue;
      own.mapAdd(regional, topKey(period, partner), weight, true);
      const other = batch.record(
        featureRecordKey(context.ns, "item_region", joinKey([partner, touch.region])),
      );
      other.mapAdd(regional, topKey(period, touch.item), weight, true);
      other.stamp(bin);
      other.read(regional);
    }
    own.stamp(bin);
    own.read(regional);
  }
}
