import pLimit from "p-limit";
import type { AcceptedEvent } from "#shared/api/events";
import { featureRecordKey, featureSet, regionalBin, WRITTEN_AT_BIN } from "../features/layout.js";
import {
  type BinValue,
  type OperateResult,
  type RecordKey,
  StoreError,
  type StorePort,
  type WriteOptions,
} from "../store/port.js";
import { CategoryLookup } from "./category-lookup.js";
import { addCoVisits } from "./co-visitation.js";
import { addEventWrites, type BatchContext, type SessionTouches } from "./event-writes.js";
import { BatchWrites, type RecordWrites } from "./record-batch.js";
import { intentCategory } from "./session-intent.js";
import { CO_VISITED, type DecayedTop, SESSION_FEATURES, TRENDING } from "./stream-features.js";
import type { StreamProcessor } from "./stream-processor-port.js";
import { trimTop } from "./top-trim.js";

export interface StreamProcessorOptions {
  store: StorePort;
  /** Store namespace of the feature records. */
  ns: string;
  /** The region this origin writes for: it owns the `<bin>.<region>` bins. */
  region: string;
  /** Injected clock for tests (epoch ms). */
  now?: () => number;
  /**
   * Record writes in flight per process, across concurrent `apply` calls.
   * 256 keeps LMDB's shared commits full and stays under Aerospike's pools.
   */
  concurrency?: number;
}

const SESSION_SET = featureSet("session");
const TOPS_BY_SET: ReadonlyMap<string, DecayedTop> = new Map([
  [featureSet("region"), TRENDING],
  [featureSet("item_region"), CO_VISITED],
]);

/**
 * Builds the stream processor. Per batch: one batched catalog read for
 * categories not cached and one batched read of the sessions' recent items
 * (co-visitation replays them), then one atomic `operate` per distinct record
 * with bounded concurrency; a session's intent category is set from its
 * scores read back by that operate. Counters are adds that commute, so
 * concurrent batches and per-region bins need no coordination.
 *
 * @example
 * const processor = createStreamProcessor({ store, ns: "reco", region: "eu" });
 * await processor.apply(events);
 */
export function createStreamProcessor(options: StreamProcessorOptions): StreamProcessor {
  const { store, ns, region } = options;
  const now = options.now ?? Date.now;
  const limit = pLimit(options.concurrency ?? 256);
  const categories = new CategoryLookup(store, ns, now);

  function write(record: RecordWrites, at: number): Promise<OperateResult | null> {
    const operations = record.toOperations(at);
    if (operations.length === 0) return Promise.resolve(null);
    const writeOptions: WriteOptions = record.ttl === undefined ? {} : { ttl: record.ttl };
    return limit(() => store.operate(record.key, operations, writeOptions));
  }

  /** Sets the session's intent if the argmax moved, unless another write got there first. */
  async function updateIntent(key: RecordKey, result: OperateResult, at: number): Promise<void> {
    const { intentScores, intentCategory: intent } = SESSION_FEATURES;
    if (!(intentScores.bin in result.bins)) return;
    const next = intentCategory(result.bins[intentScores.bin], at);
    if (next === (result.bins[intent.bin] ?? "")) return;
    try {
      await limit(() =>
        store.operate(
          key,
          [
            { op: "put", bin: intent.bin, value: next },
            { op: "mapPut", bin: WRITTEN_AT_BIN, key: intent.bin, value: at },
          ],
          // A newer write to the session computed its own argmax after ours: it wins.
          { expectGen: result.gen },
        ),
      );
    } catch (error) {
      if (!(error instanceof StoreError && error.code === "generation_conflict")) throw error;
    }
  }

  async function writeAndTrim(record: RecordWrites, at: number): Promise<void> {
    const result = await write(record, at);
    const top = TOPS_BY_SET.get(record.key.set);
    if (!result || !top) return;
    const bin = regionalBin(top.bin, region);
    if (!(bin in result.bins)) return;
    await trimTop(
      store,
      record.key,
      bin,
      { gen: result.gen, map: result.bins[bin] },
      top.storage,
      at,
    );
  }

  async function apply(events: readonly AcceptedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const at = now();
    const sorted = [...events].sort((a, b) => a.ts - b.ts);
    const lookup: string[] = [];
    for (const event of sorted) {
      if (event.context?.category === undefined) lookup.push(...event.itemIds);
    }
    const sessionIds = new Set<string>();
    for (const event of sorted) if (event.sessionId !== undefined) sessionIds.add(event.sessionId);
    const [known, priorSessions] = await Promise.all([
      categories.categories(lookup),
      readRecentItems([...sessionIds]),
    ]);
    const context: BatchContext = { ns, region, now: at, categories: known };
    const batch = new BatchWrites();
    const touches: SessionTouches = new Map();
    for (const event of sorted) addEventWrites(batch, event, context, touches);
    for (const [sessionId, sessionTouches] of touches) {
      addCoVisits(batch, sessionTouches, priorSessions.get(sessionId), context);
    }

    await Promise.all(
      [...batch].map(async (record) => {
        if (record.key.set === SESSION_SET) {
          const result = await write(record, at);
          if (result) await updateIntent(record.key, result, at);
        } else {
          await writeAndTrim(record, at);
        }
      }),
    );
  }

  /** The sessions' recent items before this batch (one batched read), for co-visitation. */
  async function readRecentItems(sessionIds: string[]): Promise<Map<string, BinValue>> {
    const out = new Map<string, BinValue>();
    if (sessionIds.length === 0) return out;
    const bin = SESSION_FEATURES.recentItems.bin;
    const records = await store.batchGet(
      sessionIds.map((id) => featureRecordKey(ns, "session", id)),
      [bin],
    );
    sessionIds.forEach((id, i) => {
      const value = records[i]?.bins[bin];
      if (value !== undefined) out.set(id, value);
    });
    return out;
  }

  return { apply };
}
