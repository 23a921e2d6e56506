import type { EventType } from "#shared/api/events";

/**
 * How much each event type says about a shopper's interest, used by the
 * user×category affinity and the session's intent. Ordered by commitment:
 * looking < clicking < saving < carting < buying. A removal from the cart is
 * a (mild) signal against; impressions and searches say nothing about a
 * category the shopper chose.
 */
export const INTEREST_WEIGHTS: Readonly<Record<EventType, number>> = {
  impression: 0,
  search: 0,
  view: 1,
  click: 2,
  wishlist: 3,
  add_to_cart: 4,
  purchase: 8,
  remove_from_cart: -2,
};

/**
 * Weights for the region's trending items: the same commitment order, but a
 * removal is still attention, not a reason to rank an item lower for
 * everyone, so it counts nothing.
 */
export const TRENDING_WEIGHTS: Readonly<Record<EventType, number>> = {
  ...INTEREST_WEIGHTS,
  remove_from_cart: 0,
};

/**
 * Events that mean the shopper engaged with the item itself (recent items,
 * last actions, co-visitation). Impressions are only shown to them, searches
 * name no item.
 */
export function touchesItems(type: EventType): boolean {
  return type !== "impression" && type !== "search";
}

/** Which item_region counter (feature name prefix) an event type feeds, if any. */
export const COUNTER_OF_TYPE: Readonly<Partial<Record<EventType, string>>> = {
  impression: "impressions",
  view: "views",
  click: "clicks",
  add_to_cart: "carts",
  purchase: "purchases",
};
