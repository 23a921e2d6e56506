import { decayPeriod, decayWeight } from "../features/layout.js";
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
 * one event at a time give the same pairs. `regional` is the processor's
 * `cv.<region>` bin.
 */
export function addCoVisits(
  batch: BatchWrites,
  touches: readonly SessionTouch[],
  prior: BinValue | undefined,
  regional: string,
): void {
  const { bin, storage } = CO_VISITED;
  const cap = SESSION_FEATURES.recentItems.cap;
  let list: string[] = Array.isArray(prior)
    ? prior.filter((item): item is string => typeof item === "string")
    : [];
  // The map keys the last touch added to, in the order it added to them.
  const slots: number[] = [];
  let slotsPeriod = Number.NaN;
  let slotsRegion = "";
  for (const touch of touches) {
    const again = touch.items.length === 1 && list[0] === touch.items[0];
    const period = decayPeriod(touch.ts, storage.halfLifeSeconds);
    const weight = decayWeight(touch.ts, storage.halfLifeSeconds);
    // The item touched again at the front of an unchanged list (view, add to cart and purchase
    // of one item) pairs exactly as the touch before: add to the same map keys in the same
    // order, without finding the records and keys again (their stamps and size reads are set).
    if (again && period === slotsPeriod && touch.region === slotsRegion) {
      for (const slot of slots) batch.addToSlot(slot, weight);
      continue;
    }
    if (!again) list = pushFront(list, touch.items, cap);
    slots.length = 0;
    // Only a one-item touch can repeat (a longer one always builds a new list).
    slotsPeriod = touch.items.length === 1 ? period : Number.NaN;
    slotsRegion = touch.region;
    const count = touch.items.length;
    for (let at = 0; at < count; at++) {
      const end = Math.min(list.length, at + 1 + CO_VISIT_PARTNERS);
      if (end <= at + 1) continue;
      const item = list[at] as string;
      const own = batch.record2("item_region", item, touch.region);
      for (let p = at + 1; p < end; p++) {
        const partner = list[p] as string;
        slots.push(own.topAdd(regional, period, partner, weight));
        const other = batch.record2("item_region", partner, touch.region);
        slots.push(other.topAdd(regional, period, item, weight));
        other.stamp(bin);
        other.readSize(regional);
      }
      own.stamp(bin);
      own.readSize(regional);
    }
  }
}

/**
 * `items` (distinct) to the front of `list`, earlier copies removed, capped.
 * One item (almost every touch) moves in place: `list` is this replay's own copy.
 */
function pushFront(list: string[], items: readonly string[], cap: number): string[] {
  if (items.length === 1) {
    const item = items[0] as string;
    if (list[0] === item) return list;
    const at = list.indexOf(item);
    // A second copy (never written by a unique push) goes the copying way, which drops all.
    if (at === -1 || list.indexOf(item, at + 1) === -1) {
      for (let i = at === -1 ? Math.min(list.length, cap - 1) : at; i > 0; i--) {
        list[i] = list[i - 1] as string;
      }
      list[0] = item;
      if (list.length > cap) list.length = cap;
      return list;
    }
    const out = [item];
    for (const other of list) {
      if (out.length >= cap) break;
      if (other !== item) out.push(other);
    }
    return out;
  }
  const block = new Set(items);
  return [...items, ...list.filter((item) => !block.has(item))].slice(0, cap);
}
