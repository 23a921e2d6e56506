import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AcceptedEvent, EventType } from "#shared/api/events";
import { recordKeys } from "../../src/catalog/record-keys.js";
import { featureRecordKey, joinKey, regionalBin } from "../../src/features/layout.js";
import type { OperateRequest, StorePort, StoreTransaction } from "../../src/store/port.js";
import { CO_VISIT_PARTNERS } from "../../src/stream/co-visitation.js";
import { SESSION_TTL_SECONDS } from "../../src/stream/session-intent.js";
import { createStreamProcessor } from "../../src/stream/stream-processor.js";
import { TOP_TRIM_ABOVE } from "../../src/stream/top-trim.js";
import { featureReader } from "../support/feature-reader.js";
import type { TestStore } from "../support/open-test-store.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** On an hour boundary, so window arithmetic in the tests is plain. */
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const REGION = "eu";

/**
 * Behaviour of the stream processor against one store adapter, driven by
 * small event scripts and an injected clock.
 */
export function streamProcessorSuite(name: string, open: () => Promise<TestStore>): void {
  describe(`stream processor: ${name}`, () => {
    let target: TestStore;
    // Unique ids per run: the Aerospike server is shared and long-lived.
    const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    let sequence = 0;
    const id = (label: string) => `${label}-${run}`;

    beforeAll(async () => {
      target = await open();
    });
    afterAll(async () => {
      await target?.close();
    });

    function setup(start = T0) {
      const clock = { now: start };
      const processor = createStreamProcessor({
        store: target.store,
        ns: target.ns,
        region: REGION,
        now: () => clock.now,
      });
      const read = featureReader(target.store, target.ns, [REGION, "us"]);
      return {
        clock,
        processor,
        read: (e: string, k: string, n: string) => read(e, k, n, clock.now),
      };
    }

    function event(
      type: EventType,
      fields: Partial<AcceptedEvent> & { ts: number },
    ): AcceptedEvent {
      sequence++;
      return { id: `ev${run}${sequence}`, type, itemIds: [], region: REGION, ...fields };
    }

    async function catalog(items: Record<string, string>): Promise<void> {
      const keys = recordKeys(target.ns);
      await Promise.all(
        Object.entries(items).map(([item, cat]) => target.store.put(keys.item(item), { cat })),
      );
    }

    it("keeps a user's recent items and categories deduplicated, newest first, capped", async () => {
      const { processor, read } = setup();
      const user = id("u-lists");
      const [a, b, c] = [id("a"), id("b"), id("c")];
      await catalog({ [a]: "shoes", [b]: "bags", [c]: "shoes" });
      await processor.apply([
        event("view", { userId: user, itemIds: [a], ts: T0 - 5000 }),
        event("view", { userId: user, itemIds: [b], ts: T0 - 4000 }),
        event("impression", { userId: user, itemIds: [c], ts: T0 - 3500 }),
        event("click", { userId: user, itemIds: [a], ts: T0 - 3000 }),
        event("purchase", { userId: user, itemIds: [c], ts: T0 - 2000 }),
      ]);
      expect((await read("user", user, "recent_items")).value).toEqual([c, a, b]);
      expect((await read("user", user, "recent_categories")).value).toEqual(["shoes", "bags"]);
      expect((await read("user", user, "purchased_items")).value).toEqual([c]);
      expect((await read("user", user, "recent_items")).writtenAt).toBe(T0);

      const many = Array.from({ length: 60 }, (_, i) =>
        event("view", {
          userId: user,
          itemIds: [id(`m${i}`)],
          ts: T0 - 1000 + i,
          context: { category: `c${i}` },
        }),
      );
      await processor.apply(many);
      const recent = (await read("user", user, "recent_items")).value as string[];
      expect(recent).toHaveLength(50);
      expect(recent[0]).toBe(id("m59"));
      expect(recent[49]).toBe(id("m10"));
      const categories = (await read("user", user, "recent_categories")).value as string[];
      expect(categories).toHaveLength(20);
      expect(categories[0]).toBe("c59");
    });

    it("counts per item and region over 1 h and 24 h windows that roll over and stay trimmed", async () => {
      const { clock, processor, read } = setup();
      const item = id("w");
      const key = joinKey([item, REGION]);
      const seen = (type: EventType, ts: number) =>
        event(type, { sessionId: id("s-w"), itemIds: [item], ts });
      await processor.apply([
        seen("impression", T0 - 2 * MINUTE),
        seen("impression", T0 - 2 * MINUTE),
        seen("view", T0 - MINUTE),
        seen("click", T0 - MINUTE),
        seen("add_to_cart", T0 - 30_000),
        seen("purchase", T0 - 10_000),
      ]);
      expect((await read("item_region", key, "impressions_1h")).value).toBe(2);
      expect((await read("item_region", key, "views_1h")).value).toBe(1);
      expect((await read("item_region", key, "clicks_24h")).value).toBe(1);
      expect((await read("item_region", key, "carts_1h")).value).toBe(1);
      expect((await read("item_region", key, "purchases_24h")).value).toBe(1);
      expect((await read("item_region", key, "ctr_24h")).value).toBeCloseTo((1 + 1) / (2 + 21));

      clock.now = T0 + HOUR + 5 * MINUTE;
      expect((await read("item_region", key, "views_1h")).value).toBe(0);
      expect((await read("item_region", key, "views_24h")).value).toBe(1);
      clock.now = T0 + DAY;
      expect((await read("item_region", key, "views_24h")).value).toBe(0);
      expect((await read("item_region", key, "ctr_24h")).value).toBeCloseTo(1 / 21);

      // Writing a day later trims the old buckets: maps hold only the window.
      for (let i = 0; i < 30; i++) {
        clock.now = T0 + DAY + i * HOUR;
        await processor.apply([seen("view", clock.now)]);
      }
      expect((await read("item_region", key, "views_24h")).value).toBe(24);
      expect((await read("item_region", key, "views_1h")).value).toBe(1);
      const record = await target.store.get(featureRecordKey(target.ns, "item_region", key));
      expect(Object.keys(record?.bins[regionalBin("v24", REGION)] as object)).toHaveLength(24);
      expect(Object.keys(record?.bins[regionalBin("v1", REGION)] as object)).toHaveLength(1);
    });

    it("decays user×category affinity by half every half-life", async () => {
      const { clock, processor, read } = setup();
      const user = id("u-aff");
      const [shoe, bag] = [id("shoe"), id("bag")];
      await catalog({ [shoe]: "shoes", [bag]: "bags" });
      await processor.apply([
        event("view", { userId: user, itemIds: [shoe], ts: T0 }),
        event("purchase", { userId: user, itemIds: [shoe], ts: T0 }),
        event("add_to_cart", { userId: user, itemIds: [bag], ts: T0 }),
        event("remove_from_cart", { userId: user, itemIds: [bag], ts: T0 }),
        event("impression", { userId: user, itemIds: [bag], ts: T0 }),
      ]);
      const shoes = joinKey([user, "shoes"]);
      expect((await read("user_category", shoes, "affinity")).value).toBeCloseTo(9, 9);
      expect((await read("user_category", joinKey([user, "bags"]), "affinity")).value).toBeCloseTo(
        2,
        9,
      );
      clock.now = T0 + 7 * DAY;
      expect((await read("user_category", shoes, "affinity")).value).toBeCloseTo(4.5, 9);
      clock.now = T0 + 14 * DAY;
      expect((await read("user_category", shoes, "affinity")).value).toBeCloseTo(2.25, 9);
      // A new event adds at full weight on top of the decayed sum.
      await processor.apply([event("view", { userId: user, itemIds: [shoe], ts: clock.now })]);
      expect((await read("user_category", shoes, "affinity")).value).toBeCloseTo(3.25, 9);
    });

    it("keeps a session's last actions, recent items and intent category", async () => {
      const { clock, processor, read } = setup();
      const session = id("s-intent");
      const [x1, x2, y1] = [id("x1"), id("x2"), id("y1")];
      await catalog({ [x1]: "shoes", [x2]: "shoes", [y1]: "bags" });
      const act = (type: EventType, item: string, ts: number) =>
        event(type, { sessionId: session, itemIds: [item], ts });
      await processor.apply([act("view", x1, T0 - 3000), act("view", x2, T0 - 2000)]);
      expect((await read("session", session, "intent_category")).value).toBe("shoes");
      await processor.apply([act("add_to_cart", y1, T0 - 1000)]);
      // bags 4 > shoes 1 + 1
      expect((await read("session", session, "intent_category")).value).toBe("bags");
      expect((await read("session", session, "last_actions")).value).toEqual([
        `add_to_cart:${y1}`,
        `view:${x2}`,
        `view:${x1}`,
      ]);
      expect((await read("session", session, "recent_items")).value).toEqual([y1, x2, x1]);
      // Two hours later the old interest has faded: one view moves the intent.
      clock.now = T0 + 2 * HOUR;
      await processor.apply([act("view", x1, clock.now)]);
      expect((await read("session", session, "intent_category")).value).toBe("shoes");
      expect((await read("session", session, "recent_items")).value).toEqual([x1, y1, x2]);
      const record = await target.store.get(featureRecordKey(target.ns, "session", session));
      expect(record?.expiresAt).not.toBeNull();

      const actions = Array.from({ length: 30 }, (_, i) =>
        act("click", id(`z${i}`), clock.now + i),
      );
      clock.now += 1000;
      await processor.apply(actions);
      const last = (await read("session", session, "last_actions")).value as string[];
      expect(last).toHaveLength(20);
      expect(last[0]).toBe(`click:${id("z29")}`);
      expect((await read("session", session, "recent_items")).value).toHaveLength(20);
    });

    it("lists searches with their query among a session's last actions, newest first", async () => {
      const { processor, read } = setup();
      const session = id("s-search");
      const [x1, x2] = [id("sx1"), id("sx2")];
      await processor.apply([
        event("search", {
          sessionId: session,
          itemIds: [],
          ts: T0 - 3000,
          context: { query: "red shoes" },
        }),
        event("view", { sessionId: session, itemIds: [x1], ts: T0 - 2000 }),
      ]);
      await processor.apply([
        event("search", { sessionId: session, itemIds: [], ts: T0 - 1000 }),
        event("click", { sessionId: session, itemIds: [x2], ts: T0 - 500 }),
      ]);
      expect((await read("session", session, "last_actions")).value).toEqual([
        `click:${x2}`,
        "search:",
        `view:${x1}`,
        "search:red shoes",
      ]);
    });

    it("sends a session's TTL on its first write, then at most every 1% of it", async () => {
      const clock = { now: T0 };
      const session = id("s-ttl");
      // The real store underneath; only the TTLs the processor sends for the session are noted.
      const sent: (number | undefined)[] = [];
      const note = (requests: readonly OperateRequest[]) => {
        for (const request of requests) {
          if (request.key.set === "fe_session" && request.key.key === session) {
            sent.push(request.options?.ttl);
          }
        }
      };
      const { transact } = target.store;
      const store: StorePort = Object.create(target.store, {
        operateMany: {
          value: (requests: readonly OperateRequest[]) => {
            note(requests);
            return target.store.operateMany(requests);
          },
        },
        // LMDB: the processor writes through a transaction's `operateMany`.
        transact: {
          value: transact
            ? <T>(body: (tx: StoreTransaction) => T) =>
                transact.call(target.store, (tx) =>
                  body({
                    batchGet: tx.batchGet,
                    operateMany: (requests) => {
                      note(requests);
                      return tx.operateMany(requests);
                    },
                  }),
                )
            : undefined,
        },
      });
      const processor = createStreamProcessor({
        store,
        ns: target.ns,
        region: REGION,
        now: () => clock.now,
      });
      const view = () => event("view", { sessionId: session, itemIds: [id("t1")], ts: clock.now });
      await processor.apply([view()]);
      clock.now += 10 * MINUTE; // < 1% of 2 days: the expiry stays, no expiry index rewrite
      await processor.apply([view()]);
      clock.now += HOUR; // due again
      await processor.apply([view()]);
      expect(sent).toEqual([SESSION_TTL_SECONDS, undefined, SESSION_TTL_SECONDS]);
      const record = await target.store.get(featureRecordKey(target.ns, "session", session));
      expect(record?.expiresAt).toBeGreaterThan(Date.now() + SESSION_TTL_SECONDS * 990);
    });

    it("records co-visitation both ways with the items the session touched before", async () => {
      const { processor, read } = setup();
      const session = id("s-cv");
      const items = Array.from({ length: 8 }, (_, i) => id(`cv${i}`));
      const touch = (item: string, ts: number) =>
        event("view", { sessionId: session, itemIds: [item], ts, context: { category: "k" } });
      // Half in one batch, half one by one: both paths pair the same way.
      await processor.apply(items.slice(0, 4).map((item, i) => touch(item, T0 - 10_000 + i)));
      for (const [i, item] of items.slice(4).entries()) {
        await processor.apply([touch(item, T0 - 5000 + i)]);
      }
      const coVisited = async (item: string) =>
        (await read("item_region", joinKey([item, REGION]), "co_visited")).value as string[];
      // cv7 came after cv2..cv6 (its 5 predecessors); cv0 was followed by cv1..cv5.
      expect(new Set(await coVisited(items[7] as string))).toEqual(
        new Set(items.slice(7 - CO_VISIT_PARTNERS, 7)),
      );
      expect(new Set(await coVisited(items[0] as string))).toEqual(
        new Set(items.slice(1, 1 + CO_VISIT_PARTNERS)),
      );
      // Touched again: cv0 lands right behind cv7 (and cv7 in cv0's own partners: 2 fresh
      // adds); cv3..cv6 are partners again (one old add, one fresh, equal: ranked by id);
      // cv2 was a partner only before.
      await processor.apply([touch(items[0] as string, T0), touch(items[7] as string, T0 + 1)]);
      expect(await coVisited(items[7] as string)).toEqual([0, 3, 4, 5, 6, 2].map((i) => items[i]));
    });

    it("adds the same co-visitation weights for an item touched again in one batch as one by one", async () => {
      const { processor } = setup();
      // Each session views, carts and buys items in turn (the same item three times running),
      // more than the 20 recent items the pairing replays; then touches items again: two in
      // one event, one in another region, one still in the list and one that fell out of it.
      const script = (prefix: string): AcceptedEvent[] => {
        const session = `${prefix}s`;
        const at = (ts: number, type: EventType, itemIds: string[], region = REGION) =>
          event(type, { sessionId: session, itemIds, ts, region });
        const out: AcceptedEvent[] = [];
        let ts = T0 - 60_000;
        for (let i = 0; i < 24; i++) {
          for (const type of ["view", "add_to_cart", "purchase"] as const) {
            out.push(at(ts++, type, [`${prefix}i${i}`]));
          }
        }
        out.push(at(ts++, "view", [`${prefix}i23`, `${prefix}i2`]));
        out.push(at(ts++, "view", [`${prefix}i2`]));
        out.push(at(ts++, "view", [`${prefix}i2`], "us"));
        out.push(at(ts++, "view", [`${prefix}i10`]));
        out.push(at(ts++, "view", [`${prefix}i1`]));
        return out;
      };
      const [batched, single] = [id("cvb"), id("cvs")];
      await processor.apply(script(batched));
      for (const e of script(single)) await processor.apply([e]);
      const weights = async (prefix: string, item: number, region: string) => {
        const key = featureRecordKey(
          target.ns,
          "item_region",
          joinKey([`${prefix}i${item}`, region]),
        );
        const map = (await target.store.get(key))?.bins[regionalBin("cv", REGION)] ?? {};
        return Object.fromEntries(
          Object.entries(map).map(([k, v]) => [k.split(prefix).join("X"), v]),
        );
      };
      for (let i = 0; i < 24; i++) {
        const [b, s] = [await weights(batched, i, REGION), await weights(single, i, REGION)];
        expect(Object.keys(b).length).toBeGreaterThan(0);
        expect(Object.keys(b).sort()).toEqual(Object.keys(s).sort());
        for (const [k, v] of Object.entries(b)) expect(v as number).toBeCloseTo(s[k] as number, 12);
      }
      expect(await weights(batched, 2, "us")).toEqual(await weights(single, 2, "us"));
      expect(Object.keys(await weights(batched, 2, "us")).length).toBeGreaterThan(0);
    });

    it("ranks trending items by decayed weight and keeps the map bounded", async () => {
      const { clock, processor } = setup();
      const region = `r${run.slice(-8)}`;
      const hot = id("hot");
      const warm = id("warm");
      const regionRead = featureReader(target.store, target.ns, [REGION]);
      const trending = async () =>
        (await regionRead("region", region, "trending", clock.now)).value as string[];
      await processor.apply([
        event("purchase", { sessionId: id("s-tr"), itemIds: [hot], ts: T0, region }),
        event("view", { sessionId: id("s-tr"), itemIds: [warm], ts: T0, region }),
        event("view", { sessionId: id("s-tr2"), itemIds: [warm], ts: T0, region }),
        event("impression", { sessionId: id("s-tr2"), itemIds: [id("never")], ts: T0, region }),
      ]);
      expect(await trending()).toEqual([hot, warm]);
      // Three hours on, three fresh views beat a purchase decayed to 1/8.
      clock.now = T0 + 3 * HOUR;
      const fresh = id("fresh");
      await processor.apply(
        [1, 2, 3].map((i) =>
          event("view", { sessionId: id(`s-f${i}`), itemIds: [fresh], ts: clock.now, region }),
        ),
      );
      expect((await trending()).slice(0, 3)).toEqual([fresh, hot, warm]);

      const n = 50;
      for (let b = 0; b < 6; b++) {
        await processor.apply(
          Array.from({ length: 100 }, (_, i) =>
            event("view", {
              sessionId: id(`s-many${b}`),
              itemIds: [id(`many${b}-${i}`)],
              ts: clock.now,
              region,
            }),
          ),
        );
      }
      const record = await target.store.get(featureRecordKey(target.ns, "region", region));
      const size = Object.keys(record?.bins[regionalBin("tr", REGION)] as object).length;
      expect(size).toBeLessThanOrEqual(TOP_TRIM_ABOVE * n);
      expect((await trending())[0]).toBe(fresh);
      expect(await trending()).toHaveLength(n);
    });

    it("keeps co-visitation maps bounded when an item is seen with many others", async () => {
      const { processor, read } = setup();
      const anchor = id("anchor");
      for (let b = 0; b < 5; b++) {
        await processor.apply(
          Array.from({ length: 40 }, (_, i) => {
            const session = id(`s-b${b}-${i}`);
            return [
              event("view", { sessionId: session, itemIds: [anchor], ts: T0 - 2 }),
              event("view", { sessionId: session, itemIds: [id(`o${b}-${i}`)], ts: T0 - 1 }),
            ];
          }).flat(),
        );
      }
      const key = featureRecordKey(target.ns, "item_region", joinKey([anchor, REGION]));
      const record = await target.store.get(key);
      const size = Object.keys(record?.bins[regionalBin("cv", REGION)] as object).length;
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThanOrEqual(TOP_TRIM_ABOVE * 20);
      expect(
        (await read("item_region", joinKey([anchor, REGION]), "co_visited")).value,
      ).toHaveLength(20);
    });

    it("gives the same features whether events come in one batch or one by one", async () => {
      const script = (prefix: string): AcceptedEvent[] => {
        const types: EventType[] = [
          "view",
          "click",
          "add_to_cart",
          "purchase",
          "impression",
          "wishlist",
          "remove_from_cart",
          "search",
        ];
        let seed = 7;
        const next = (n: number) => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed % n;
        };
        return Array.from({ length: 150 }, (_, i) => {
          const type = types[next(types.length)] as EventType;
          return {
            id: `ev${prefix}${i}`,
            type,
            userId: next(3) === 0 ? undefined : `${prefix}u${next(4)}`,
            sessionId: `${prefix}s${next(5)}`,
            itemIds: type === "search" ? [] : [`${prefix}i${next(12)}`],
            region: REGION,
            ts: T0 - 100_000 + i * 500,
            context: { category: `cat${next(3)}`, query: "q" },
          };
        });
      };
      const a = setup();
      const b = setup();
      const [pa, pb] = [id("A"), id("B")];
      await a.processor.apply(script(pa));
      for (const e of script(pb)) await b.processor.apply([e]);

      const strip = (prefix: string, value: unknown) =>
        JSON.parse(
          JSON.stringify(value ?? null)
            .split(prefix)
            .join("X"),
        );
      const compare = async (entity: string, key: (p: string) => string, names: string[]) => {
        for (const name of names) {
          const va = (await a.read(entity, key(pa), name)).value;
          const vb = (await b.read(entity, key(pb), name)).value;
          if (typeof va === "number") expect(vb as number).toBeCloseTo(va, 9);
          else
            expect({ entity, name, v: strip(pb, vb) }).toEqual({ entity, name, v: strip(pa, va) });
        }
      };
      for (let u = 0; u < 4; u++) {
        await compare("user", (p) => `${p}u${u}`, [
          "recent_items",
          "recent_categories",
          "purchased_items",
        ]);
        for (let c = 0; c < 3; c++) {
          await compare("user_category", (p) => joinKey([`${p}u${u}`, `cat${c}`]), ["affinity"]);
        }
      }
      for (let s = 0; s < 5; s++) {
        await compare("session", (p) => `${p}s${s}`, [
          "last_actions",
          "recent_items",
          "intent_category",
        ]);
      }
      for (let i = 0; i < 12; i++) {
        await compare("item_region", (p) => joinKey([`${p}i${i}`, REGION]), [
          "impressions_24h",
          "views_1h",
          "clicks_24h",
          "carts_24h",
          "purchases_1h",
          "ctr_24h",
          "co_visited",
        ]);
      }
      const some = await a.read("session", `${pa}s0`, "last_actions");
      expect((some.value as string[]).length).toBeGreaterThan(5);
    });

    it("loses nothing when batches are applied concurrently", async () => {
      const { processor, read } = setup();
      const item = id("busy");
      const user = id("u-busy");
      const batches = Array.from({ length: 20 }, (_, b) =>
        Array.from({ length: 50 }, () =>
          event("view", {
            userId: user,
            sessionId: id(`s-busy${b % 4}`),
            itemIds: [item],
            ts: T0 - 1000,
            context: { category: "busy" },
          }),
        ),
      );
      await Promise.all(batches.map((batch) => processor.apply(batch)));
      expect((await read("item_region", joinKey([item, REGION]), "views_1h")).value).toBe(1000);
      expect((await read("user_category", joinKey([user, "busy"]), "affinity")).value).toBeCloseTo(
        1000 * 2 ** (-1000 / (7 * DAY)),
        6,
      );
      expect((await read("user", user, "recent_items")).value).toEqual([item]);
    });
  });
}
