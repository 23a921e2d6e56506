import type { ShopperEvent } from "#shared/api/events";

/** A short random tag, so tests sharing one Aerospike server never touch each other's records. */
export function runTag(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** A valid view event with a fresh id; `overrides` replace any field. */
export function viewEvent(overrides: Partial<ShopperEvent> = {}): ShopperEvent {
  return {
    id: crypto.randomUUID(),
    type: "view",
    userId: "u-test",
    sessionId: "s-test",
    itemIds: ["i-test"],
    ts: Date.now(),
    ...overrides,
  };
}
