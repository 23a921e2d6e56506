import { describe, expect, it } from "vitest";
import { FlushSizing } from "../../src/events/event-applier.js";

describe("FlushSizing", () => {
  const bounds = { min: 1_000, max: 20_000, visibilityMs: 800 };

  it("starts at 5,000 events and ignores flushes under half the minimum", () => {
    const sizing = new FlushSizing(bounds);
    expect(sizing.limit).toBe(5_000);
    // 100 events in 1 ms would be a fast rate, but a small flush does not measure it.
    sizing.flushed(100, 1);
    expect(sizing.limit).toBe(5_000);
  });

  it("grows flushes to what two of them apply in the visibility budget, up to the maximum", () => {
    const sizing = new FlushSizing(bounds);
    // 5,000 events in 250 ms = 20 events/ms: two flushes of 8,000 take 800 ms.
    sizing.flushed(5_000, 250);
    expect(sizing.limit).toBe(8_000);
    // A much faster flush moves the average half way: (20 + 100) / 2 = 60/ms -> 24,000, capped.
    sizing.flushed(8_000, 80);
    expect(sizing.limit).toBe(20_000);
  });

  it("shrinks flushes at once when applying slows down, down to the minimum", () => {
    const sizing = new FlushSizing(bounds);
    sizing.flushed(5_000, 250);
    expect(sizing.limit).toBe(8_000);
    // 8,000 in 1.6 s = 5/ms: not averaged with the earlier 20/ms, the next flush must fit now.
    sizing.flushed(8_000, 1_600);
    expect(sizing.limit).toBe(2_000);
  });

  it("leaves the wait for the disk out of the two flushes' budget, at most half of it", () => {
    const sizing = new FlushSizing(bounds);
    sizing.flushed(5_000, 250);
    expect(sizing.limit).toBe(8_000);
    // 20 events/ms; the writes took 200 ms more to be durable: two flushes share 600 ms.
    sizing.durable(8_000, 200);
    expect(sizing.limit).toBe(6_000);
    // A shorter wait counts half way: (200 + 100) / 2 = 150 ms -> 650 ms left.
    sizing.durable(6_000, 100);
    expect(sizing.limit).toBe(6_500);
    // A stalled disk takes at most half the budget.
    sizing.durable(6_000, 5_000);
    expect(sizing.limit).toBe(4_000);
    // Tiny flushes do not measure it.
    sizing.durable(100, 0);
    expect(sizing.limit).toBe(4_000);
  });

  it("goes no lower than the minimum", () => {
    const sizing = new FlushSizing(bounds);
    // 5,000 in 1 s = 5/ms: two flushes of 2,000 take 800 ms.
    sizing.flushed(5_000, 1_000);
    expect(sizing.limit).toBe(2_000);
    for (let i = 0; i < 5; i++) sizing.flushed(2_000, 10_000);
    expect(sizing.limit).toBe(1_000);
  });

  it("stays within bounds smaller than the first size", () => {
    const sizing = new FlushSizing({ min: 1_000, max: 3, visibilityMs: 800 });
    expect(sizing.limit).toBe(3);
  });
});
