import { describe, expect, it } from "vitest";
import { ShopperEvent } from "#shared/api/events";
import { describeZodIssues } from "#shared/http/api-error";
import { validateEvents } from "../../src/events/validate-events.js";
import { wellFormedEvent } from "../../src/events/well-formed-event.js";

const REGION = "eu";
const NOW = 1_800_000_000_000;

/** What `validateEvents` gave for one event before the fast path: zod alone. */
function zodOutcome(raw: unknown): { event: unknown } | { reason: string } {
  const parsed = ShopperEvent.safeParse(raw);
  if (!parsed.success) return { reason: describeZodIssues(parsed.error) };
  return { event: { ...parsed.data, region: parsed.data.region ?? REGION } };
}

/** Well-formed events of every shape the fast path should take. */
const bases: Record<string, unknown>[] = [
  { id: "evt-0001", type: "view", userId: "u1", sessionId: "s1", itemIds: ["i1"], ts: NOW },
  { id: "evt-0002", type: "click", sessionId: "s1", itemIds: ["i1"], region: "us", ts: NOW },
  { id: "evt-0003", type: "purchase", userId: "u1", itemIds: ["i1", "i2"], ts: NOW },
  { id: "evt-0004", type: "search", sessionId: "s1", ts: NOW, context: { query: "red shoes" } },
  { id: "evt-0005", type: "search", sessionId: "s1", itemIds: [], ts: NOW },
  {
    // The bench's field order, with region and a context: zod reorders the keys.
    id: "evt-0006",
    type: "add_to_cart",
    sessionId: "s1",
    itemIds: ["i1"],
    region: "uk",
    ts: NOW,
    context: { category: "holder" },
    userId: "u9",
  },
  {
    id: "evt-0007",
    type: "impression",
    userId: "u1",
    itemIds: Array.from({ length: 100 }, (_, i) => `i${i}`),
    ts: NOW,
    context: {
      requestId: "r".repeat(128),
      category: "c".repeat(128),
      position: 0,
      surface: "pdp",
      query: "q".repeat(256),
    },
  },
  { id: "e".repeat(64), type: "wishlist", sessionId: "x".repeat(128), itemIds: ["i"], ts: 1 },
  { id: "evt_0009", type: "remove_from_cart", userId: "u", itemIds: ["i"], ts: 2 ** 53 - 1 },
];

/** Values each field is tried with: valid edge cases and every way to break it. */
const entityValues: unknown[] = [
  "",
  "a",
  "a|b",
  "x".repeat(128),
  "x".repeat(129),
  "é✓",
  5,
  null,
  undefined,
  ["a"],
];
const fieldValues: Record<string, unknown[]> = {
  id: ["short", "abcdefgh", "a".repeat(64), "a".repeat(65), "abc def gh", "abcdefg!", 12345678],
  type: ["view", "search", "VIEW", "bogus", "", 1, null],
  userId: entityValues,
  sessionId: entityValues,
  itemIds: [
    [],
    ["a"],
    ["a", ""],
    ["a|b"],
    Array.from({ length: 101 }, (_, i) => `i${i}`),
    "i1",
    [1],
    [null],
    null,
    // A sparse array: a hole is `undefined`, which zod refuses.
    new Array(2),
  ],
  region: ["eu", "us-east-1", "a".repeat(10), "a".repeat(11), "EU", "", "e u", 1, null],
  ts: [1, 0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, Number.NaN, Number.POSITIVE_INFINITY, "1", null],
  context: [
    {},
    null,
    [],
    "ctx",
    { surface: "home" },
    { surface: "nowhere" },
    { position: 0 },
    { position: -0 },
    { position: -1 },
    { position: 1.5 },
    { position: "1" },
    { query: "" },
    { query: "q".repeat(257) },
    { query: 5 },
    { requestId: "r".repeat(129) },
    { category: "" },
    { category: "a|b" },
    { extra: 1, surface: "cart" },
    { surface: undefined },
    { position: undefined, category: "c" },
  ],
};

/** Every base with every field replaced by each value, deleted, and a few whole-object oddities. */
function corpus(): unknown[] {
  const out: unknown[] = [...bases];
  for (const base of bases) {
    for (const [field, values] of Object.entries(fieldValues)) {
      for (const value of values) out.push({ ...base, [field]: value });
      const { [field]: _dropped, ...without } = base;
      out.push(without);
    }
    out.push({ ...base, extra: "stripped", __proto__: { inherited: 1 } });
    out.push(Object.assign(Object.create(null), base));
    out.push(JSON.parse(JSON.stringify({ ...base, unknown: [1, 2] })));
    out.push(Object.assign(new (class Event {})(), base));
  }
  out.push(null, undefined, 0, "event", [], [bases[0]], new Date(NOW));
  return out;
}

describe("well-formed event fast path", () => {
  it("accepts the common shapes without zod, with zod's output and key order", () => {
    for (const base of bases) {
      const fast = wellFormedEvent(base, REGION);
      const expected = zodOutcome(base);
      expect(fast, JSON.stringify(base)).toBeDefined();
      expect("event" in expected && expected.event).toStrictEqual(fast);
      expect(JSON.stringify(fast)).toBe(JSON.stringify("event" in expected && expected.event));
    }
  });

  it("accepts nothing zod refuses and gives zod's output for what it accepts", () => {
    let accepted = 0;
    let refusedByZod = 0;
    for (const raw of corpus()) {
      const fast = wellFormedEvent(raw, REGION);
      const expected = zodOutcome(raw);
      if ("reason" in expected) refusedByZod++;
      if (fast === undefined) continue;
      accepted++;
      expect(expected, JSON.stringify(raw)).toHaveProperty("event");
      expect(fast).toStrictEqual("event" in expected && expected.event);
      expect(JSON.stringify(fast)).toBe(JSON.stringify("event" in expected && expected.event));
    }
    // The corpus exercises both sides: many shapes taken fast, many refusals left to zod.
    expect(accepted).toBeGreaterThan(100);
    expect(refusedByZod).toBeGreaterThan(300);
  });

  it("leaves validateEvents' outcome as zod alone gave it: events, reasons and indexes", () => {
    const raw = corpus();
    const { valid, rejected, repeatedInBatch } = validateEvents(raw, {
      now: NOW,
      region: REGION,
      // Every ts in the corpus is inside the window: the outcome is the schema's alone.
      maxAgeMs: NOW,
    });
    const expectedValid: { index: number; event: unknown }[] = [];
    const expectedRejected: { index: number; reason: string }[] = [];
    const seen = new Set<string>();
    let expectedRepeats = 0;
    raw.forEach((item, index) => {
      const outcome = zodOutcome(item);
      if ("reason" in outcome) {
        expectedRejected.push({ index, reason: outcome.reason });
        return;
      }
      const event = outcome.event as { id: string; ts: number };
      if (event.ts > NOW + 5 * 60 * 1000) {
        expectedRejected.push({ index, reason: "ts: more than 5 minutes in the future" });
        return;
      }
      if (seen.has(event.id)) {
        expectedRepeats++;
        return;
      }
      seen.add(event.id);
      expectedValid.push({ index, event });
    });
    expect(rejected).toStrictEqual(expectedRejected);
    expect(repeatedInBatch).toBe(expectedRepeats);
    expect(valid).toStrictEqual(expectedValid);
    expect(JSON.stringify(valid)).toBe(JSON.stringify(expectedValid));
  });

  it("does not hand back the caller's item list", () => {
    const raw = { ...bases[0], itemIds: ["i1"] };
    const event = wellFormedEvent(raw, REGION);
    expect(event?.itemIds).toStrictEqual(["i1"]);
    expect(event?.itemIds).not.toBe(raw.itemIds);
  });
});
