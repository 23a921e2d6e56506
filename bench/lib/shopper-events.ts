import type { AcceptedEvent, EventType } from "#shared/api/events";

export interface ShopperEventsOptions {
  users: number;
  sessions: number;
  items: number;
  categories: number;
  regions: readonly string[];
  /** Event time of the first event; later events are 1 ms apart. */
  startTs: number;
  /** Run-unique prefix for ids, so repeated runs never collide on a shared store. */
  prefix: string;
}

/**
 * A shopper traffic mix, per 100 events: 30 impressions of 10 items, 40
 * views, 15 clicks, 6 add-to-carts, 2 removals, 2 wishlists, 2 purchases, 3
 * searches; item popularity is skewed (a few items get most traffic), a
 * third of sessions are anonymous. Deterministic (seeded), allocation-light.
 */
export function shopperEvents(options: ShopperEventsOptions): (count: number) => AcceptedEvent[] {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const pick = (n: number) => Math.floor(random() * n);
  // Squaring a uniform draw skews towards low ids: popular items.
  const item = () => `${options.prefix}i${Math.floor(random() ** 2 * options.items)}`;
  const mix: [EventType, number][] = [
    ["impression", 30],
    ["view", 40],
    ["click", 15],
    ["add_to_cart", 6],
    ["remove_from_cart", 2],
    ["wishlist", 2],
    ["purchase", 2],
    ["search", 3],
  ];
  const type = (): EventType => {
    let r = pick(100);
    for (const [t, share] of mix) {
      if (r < share) return t;
      r -= share;
    }
    return "view";
  };
  let n = 0;
  return (count) =>
    Array.from({ length: count }, () => {
      n++;
      const t = type();
      const session = pick(options.sessions);
      const itemIds =
        t === "search" ? [] : t === "impression" ? Array.from({ length: 10 }, item) : [item()];
      const event: AcceptedEvent = {
        id: `${options.prefix}e${n}`,
        type: t,
        sessionId: `${options.prefix}s${session}`,
        itemIds: [...new Set(itemIds)],
        region: options.regions[session % options.regions.length] as string,
        ts: options.startTs + n,
      };
      if (session % 3 !== 0) event.userId = `${options.prefix}u${session % options.users}`;
      if (t === "search") event.context = { query: "red shoes" };
      else if (pick(2) === 0) event.context = { category: `c${pick(options.categories)}` };
      return event;
    });
}
