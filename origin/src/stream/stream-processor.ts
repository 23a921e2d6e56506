import type { AcceptedEvent } from "#shared/api/events";
import { featureRecordKey, featureSet, WRITTEN_AT_BIN } from "../features/layout.js";
import {
  type BinValue,
  type OperateRequest,
  type OperateResult,
  type RecordKey,
  StoreError,
  type StorePort,
  type StoreRecord,
} from "../store/port.js";
import { CategoryLookup } from "./category-lookup.js";
import { addCoVisits } from "./co-visitation.js";
import { addEventWrites, type BatchContext, type SessionTouches } from "./event-writes.js";
import { BatchWrites } from "./record-batch.js";
import { intentCategory } from "./session-intent.js";
import {
  CO_VISITED,
  type DecayedTop,
  regionalBins,
  SESSION_FEATURES,
  TRENDING,
} from "./stream-features.js";
import type { StreamProcessor } from "./stream-processor-port.js";
import { TopSizes } from "./top-sizes.js";
import {
  type ReadTopTrim,
  type TopTrim,
  type TopTrimBound,
  topTrimBound,
  trimTops,
} from "./top-trim.js";
import { TtlRefreshes } from "./ttl-refreshes.js";
import { WindowTrims } from "./window-trims.js";

export interface StreamProcessorOptions {
  store: StorePort;
  /** Store namespace of the feature records. */
  ns: string;
  /** The region this origin writes for: it owns the `<bin>.<region>` bins. */
  region: string;
  /** Injected clock for tests (epoch ms). */
  now?: () => number;
  /**
   * Where failed follow-ups (intent, trims) are reported. They are best
   * effort: the batch's counters are already applied, so failing the batch
   * would make the ingestion layer apply them twice; the next write retries.
   */
  logger?: { warn(details: object, message: string): void };
}

const SESSION_SET = featureSet("session");
const TOPS_BY_SET: ReadonlyMap<string, DecayedTop> = new Map([
  [featureSet("region"), TRENDING],
  [featureSet("item_region"), CO_VISITED],
]);

/**
 * Builds the stream processor. Per batch: one batched catalog read for
 * categories not cached and one batched read of the sessions' recent items
 * (co-visitation replays them), then one atomic `operate` per distinct
 * record, all in one `operateMany` (Aerospike batch writes). Follow-ups are
 * batched too: the sessions whose intent category moved (from the scores
 * their operate read back) in one `operateMany`, and oversized top maps in
 * one `operateMany` of trims. On LMDB (`transact`) the sessions' read, the
 * writes and the intents are one transaction, which the next batch's can
 * follow while this one is flushed to disk (`onWritten`). On stores with
 * `mapTrimTop` (LMDB) a top map is instead trimmed inside the write that
 * grows it: nothing is read back, no trim write follows. Elsewhere a top
 * map whose last known size says this batch may push it past the trim bound
 * is read back whole by its write, so its trim needs no second read.
 * Counters are adds that commute, so concurrent batches and per-region bins
 * need no coordination.
 *
 * @example
 * const processor = createStreamProcessor({ store, ns: "reco", region: "eu" });
 * await processor.apply(events);
 */
export function createStreamProcessor(options: StreamProcessorOptions): StreamProcessor {
  const { store, ns, region } = options;
  const now = options.now ?? Date.now;
  const categories = new CategoryLookup(store, ns, now);
  const windowTrims = new WindowTrims();
  const ttlRefreshes = new TtlRefreshes();
  const bins = regionalBins(region);
  /** LMDB's transactions (see `applyInTransaction`); absent on Aerospike. */
  const transact = store.transact?.bind(store);
  /** Each decayed_top feature's trim bound: above `above` entries, the `keep` best stay. */
  const trimBounds: ReadonlyMap<DecayedTop, TopTrimBound> = new Map(
    [...TOPS_BY_SET.values()].map((top) => [top, topTrimBound(top.storage)]),
  );
  /**
   * Stores with `mapTrimTop` trim a top map inside the write that grows it;
   * on the others the write reads the size (or the map) back and `trimTops`
   * trims in a second write, which needs the sizes last seen.
   */
  const topSizes = store.supportsTopTrim ? null : new TopSizes();
  /** This region's bin of a decayed_top feature. */
  const topBin = (top: DecayedTop) => (top === TRENDING ? bins.trending : bins.coVisited);

  /**
   * Sets the intent of sessions whose argmax moved, each under a generation
   * check: a newer write to the session computed its own argmax and wins.
   */
  async function updateIntents(moved: OperateRequest[]): Promise<number> {
    if (moved.length === 0) return 0;
    return countFailures(await store.operateMany(moved));
  }

  /** The batch's events in time order, with the categories of their items (catalog reads). */
  async function lookUp(events: readonly AcceptedEvent[]): Promise<Lookups> {
    const sorted = [...events].sort((a, b) => a.ts - b.ts);
    const lookup: string[] = [];
    for (const event of sorted) {
      if (event.context?.category === undefined) lookup.push(...event.itemIds);
    }
    return { sorted, known: await categories.categories(lookup) };
  }

  /**
   * The batch's writes: one request per record, and each request's record id
   * (for the process-level memories). A function of its own so that all the
   * aggregation (records, their slots and lists, the sessions' touches) is
   * garbage before the store's write runs: the scavenges during the write
   * copy only the requests.
   */
  function planWrites(
    { sorted, known }: Lookups,
    priorSessions: ReadonlyMap<string, BinValue>,
    at: number,
  ): PlannedWrites {
    const context: BatchContext = { bins, now: at, categories: known, windowTrims };
    const batch = new BatchWrites(ns);
    const touches: SessionTouches = new Map();
    for (const event of sorted) addEventWrites(batch, event, context, touches);
    for (const [sessionId, sessionTouches] of touches) {
      addCoVisits(batch, sessionTouches, priorSessions.get(sessionId), bins.coVisited);
    }

    const requests: OperateRequest[] = [];
    /** The record id of each request, for the process-level memories. */
    const recordIds: string[] = [];
    for (const record of batch) {
      const top = TOPS_BY_SET.get(record.key.set);
      if (top) {
        const bin = topBin(top);
        const bound = trimBounds.get(top) as TopTrimBound;
        if (!topSizes) record.trimInsteadOfSize(bin, bound);
        else if (topSizes.mayExceed(record.recordId, record.addedTopKeys(bin), bound.above)) {
          record.readInsteadOfSize(bin);
        }
      }
      const operations = record.toOperations(at);
      if (operations.length === 0) continue;
      const ttl = record.ttl;
      const refresh = ttl !== undefined && ttlRefreshes.due(record.recordId, ttl, at);
      requests.push({ key: record.key, operations, options: refresh ? { ttl } : {} });
      recordIds.push(record.recordId);
    }
    return { requests, recordIds };
  }

  /**
   * Not async itself: an async function keeps its parameters (and every
   * local) alive across each await, so the events would stay live through
   * the store's write; only `lookUp` holds them.
   */
  function apply(
    events: readonly AcceptedEvent[],
    _serialized?: readonly string[],
    onWritten?: () => void,
  ): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const at = now();
    if (transact)
      return lookUp(events).then((lookups) => applyInTransaction(lookups, at, onWritten));
    return lookUp(events)
      .then(async (lookups) => planWrites(lookups, await readRecentItems(lookups.sorted), at))
      .then((planned) => write(planned, at));
  }

  /**
   * On a store with transactions (LMDB) the sessions' reads, the planning,
   * the writes and the intents that moved are one transaction: it sees the
   * previous batch's writes however far that one's flush to disk has got, so
   * the next batch can be planned and written while this one is flushed.
   * Not async, and the events are let go of as the transaction takes them:
   * nothing holds them while it waits for the flush and the next batch runs.
   */
  function applyInTransaction(
    lookups: Lookups,
    at: number,
    onWritten: (() => void) | undefined,
  ): Promise<void> {
    let taken: Lookups | null = lookups;
    return (transact as NonNullable<StorePort["transact"]>)((tx) => {
      const batch = taken as Lookups;
      taken = null;
      const sessionIds = sessionIdsOf(batch.sorted);
      const prior = recentItemsOf(sessionIds, tx.batchGet(sessionKeys(sessionIds), [RECENT_ITEMS]));
      const planned = planWrites(batch, prior, at);
      const followUps = afterWrites(planned, tx.operateMany(planned.requests), at);
      // Within the transaction nothing wrote the sessions since: every generation check holds.
      const intentFailures = countFailures(tx.operateMany(followUps.moved));
      onWritten?.();
      return { ...followUps, intentFailures };
    }).then(async ({ oversized, readBack, failure, intentFailures }) => {
      const [trims] = await Promise.allSettled([trimTops(store, oversized, at, readBack)]);
      reportFollowUps({ status: "fulfilled", value: intentFailures }, trims);
      // Not acknowledged: the ingestion layer retries the batch.
      if (failure) throw failure;
    });
  }

  /** Sends the batch's writes, then its follow-ups (intents, read-back trims). */
  async function write({ requests, recordIds }: PlannedWrites, at: number): Promise<void> {
    const results = await store.operateMany(requests);
    const { moved, oversized, readBack, failure } = afterWrites(
      { requests, recordIds },
      results,
      at,
    );
    const [intents, trims] = await Promise.allSettled([
      updateIntents(moved),
      trimTops(store, oversized, at, readBack),
    ]);
    reportFollowUps(intents, trims);
    // Not acknowledged: the ingestion layer retries the batch.
    if (failure) throw failure;
  }

  /**
   * What the batch's write results call for: sessions whose intent moved,
   * top maps to trim (stores without `mapTrimTop`), and the first failure.
   */
  function afterWrites(
    { requests, recordIds }: PlannedWrites,
    results: (OperateResult | StoreError)[],
    at: number,
  ): FollowUps {
    const moved: OperateRequest[] = [];
    const oversized: TopTrim[] = [];
    const readBack: ReadTopTrim[] = [];
    let failure: StoreError | null = null;
    results.forEach((result, i) => {
      if (result instanceof StoreError) {
        failure ??= result;
        return;
      }
      const { key, options: sentWith } = requests[i] as OperateRequest;
      const recordId = recordIds[i] as string;
      if (sentWith?.ttl !== undefined) ttlRefreshes.sent(recordId, at);
      if (key.set === SESSION_SET) {
        const intent = intentUpdate(result, at);
        if (intent) moved.push({ key, ...intent });
        return;
      }
      const top = TOPS_BY_SET.get(key.set);
      // Top maps trimmed in their write read nothing back (no `topSizes` either).
      if (!top || !topSizes) return;
      const bin = topBin(top);
      const value = result.bins[bin];
      if (value === undefined) return;
      const { above, keep } = trimBounds.get(top) as TopTrimBound;
      const keys = typeof value === "number" ? undefined : mapKeys(value);
      const size = typeof value === "number" ? value : (keys?.length ?? 0);
      const trimmed = size > above;
      // After a trim the map holds the `keep` best (if the trim fails, the next size read says so).
      topSizes.set(recordId, trimmed ? keep : size);
      if (!trimmed) return;
      if (typeof value === "number") oversized.push({ key, bin, top: top.storage });
      else readBack.push({ key, bin, top: top.storage, map: value, gen: result.gen, keys });
    });
    return { moved, oversized, readBack, failure };
  }

  /** Logs follow-ups that failed: best effort, the next write retries them. */
  function reportFollowUps(
    intents: PromiseSettledResult<number>,
    trims: PromiseSettledResult<number>,
  ): void {
    const failed = [intents, trims].map((outcome) =>
      outcome.status === "rejected"
        ? String(outcome.reason)
        : outcome.value > 0
          ? `${outcome.value} records failed`
          : null,
    );
    if (failed.some((f) => f !== null)) {
      options.logger?.warn(
        { intents: failed[0], trims: failed[1] },
        "stream follow-up writes failed (session intent or top-map trim); the next write retries",
      );
    }
  }

  /** The sessions' recent items before this batch (one batched read), for co-visitation. */
  async function readRecentItems(sorted: readonly AcceptedEvent[]): Promise<Map<string, BinValue>> {
    const sessionIds = sessionIdsOf(sorted);
    if (sessionIds.length === 0) return new Map();
    return recentItemsOf(sessionIds, await store.batchGet(sessionKeys(sessionIds), [RECENT_ITEMS]));
  }

  function sessionKeys(sessionIds: readonly string[]): RecordKey[] {
    return sessionIds.map((id) => featureRecordKey(ns, "session", id));
  }

  return { apply };
}

/** The batch's catalog lookups, done before its transaction. */
interface Lookups {
  sorted: AcceptedEvent[];
  known: Map<string, string>;
}

interface PlannedWrites {
  requests: OperateRequest[];
  /** The record id of each request, for the process-level memories. */
  recordIds: string[];
}

interface FollowUps {
  moved: OperateRequest[];
  oversized: TopTrim[];
  readBack: ReadTopTrim[];
  failure: StoreError | null;
}

const RECENT_ITEMS = SESSION_FEATURES.recentItems.bin;

/** The distinct sessions of the batch's events. */
function sessionIdsOf(events: readonly AcceptedEvent[]): string[] {
  const ids = new Set<string>();
  for (const event of events) if (event.sessionId !== undefined) ids.add(event.sessionId);
  return [...ids];
}

/** Each session's recent items as read (sessions without any are left out). */
function recentItemsOf(
  sessionIds: readonly string[],
  records: readonly (StoreRecord | null)[],
): Map<string, BinValue> {
  const out = new Map<string, BinValue>();
  sessionIds.forEach((id, i) => {
    const value = records[i]?.bins[RECENT_ITEMS];
    if (value !== undefined) out.set(id, value);
  });
  return out;
}

/** Intent writes that failed for a reason other than a newer write winning. */
function countFailures(results: readonly (OperateResult | StoreError)[]): number {
  return results.filter(
    (result) => result instanceof StoreError && result.code !== "generation_conflict",
  ).length;
}

/**
 * Keys of a map read back, `undefined` for anything else. Counted from the
 * key list (not a loop that only counts): a map big enough to trim hands the
 * same list to its trim.
 */
function mapKeys(value: BinValue): string[] | undefined {
  if (typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    return undefined;
  }
  return Object.keys(value);
}

/** The write setting a session's intent, if the argmax of the scores it read back moved. */
function intentUpdate(
  result: OperateResult,
  at: number,
): Pick<OperateRequest, "operations" | "options"> | null {
  const { intentScores, intentCategory: intent } = SESSION_FEATURES;
  if (!(intentScores.bin in result.bins)) return null;
  const next = intentCategory(result.bins[intentScores.bin], at);
  if (next === (result.bins[intent.bin] ?? "")) return null;
  return {
    operations: [
      { op: "put", bin: intent.bin, value: next },
      { op: "mapPut", bin: WRITTEN_AT_BIN, key: intent.bin, value: at },
    ],
    options: { expectGen: result.gen },
  };
}
