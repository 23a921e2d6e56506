import pLimit from "p-limit";
import type { AcceptedEvent } from "#shared/api/events";
import { featureRecordKey, featureSet, regionalBin, WRITTEN_AT_BIN } from "../features/layout.js";
import {
  type BinValue,
  type OperateRequest,
  type OperateResult,
  type RecordKey,
  StoreError,
  type StorePort,
} from "../store/port.js";
import { CategoryLookup } from "./category-lookup.js";
import { addCoVisits } from "./co-visitation.js";
import { addEventWrites, type BatchContext, type SessionTouches } from "./event-writes.js";
import { BatchWrites } from "./record-batch.js";
import { intentCategory } from "./session-intent.js";
import { CO_VISITED, type DecayedTop, SESSION_FEATURES, TRENDING } from "./stream-features.js";
import type { StreamProcessor } from "./stream-processor-port.js";
import { needsTrim, trimTop } from "./top-trim.js";
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
  /**
   * Follow-up writes (intent, trims) in flight per process, across
   * concurrent `apply` calls: 256 keeps LMDB's shared commits full and stays
   * under Aerospike's connection pools.
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
 * (co-visitation replays them), then one atomic `operate` per distinct
 * record, all in one `operateMany` (one LMDB transaction, Aerospike batch
 * writes). Follow-ups run with bounded concurrency: a session's intent
 * category is set from the scores its operate read back, oversized top maps
 * are trimmed. Counters are adds that commute, so
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
  const windowTrims = new WindowTrims();

  /** Sets the session's intent if the argmax moved, unless another write got there first. */
  async function updateIntent(key: RecordKey, result: OperateResult, at: number): Promise<void> {
    const { intentScores, intentCategory: intent } = SESSION_FEATURES;
    if (!(intentScores.bin in result.bins)) return;
    const next = intentCategory(result.bins[intentScores.bin], at);
    if (next === (result.bins[intent.bin] ?? "")) return;
    await limit(async () => {
      try {
        await store.operate(
          key,
          [
            { op: "put", bin: intent.bin, value: next },
            { op: "mapPut", bin: WRITTEN_AT_BIN, key: intent.bin, value: at },
          ],
          // A newer write to the session computed its own argmax after ours: it wins.
          { expectGen: result.gen },
        );
      } catch (error) {
        if (!(error instanceof StoreError && error.code === "generation_conflict")) throw error;
      }
    });
  }

  /** After a record's write: the session's intent, or trimming of an oversized top map. */
  function followUp(key: RecordKey, result: OperateResult, at: number): Promise<void> | null {
    if (key.set === SESSION_SET) return updateIntent(key, result, at);
    const top = TOPS_BY_SET.get(key.set);
    if (!top) return null;
    const bin = regionalBin(top.bin, region);
    if (!needsTrim(result.bins[bin], top.storage.n)) return null;
    return limit(() => trimTop(store, key, bin, top.storage, at));
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
    const context: BatchContext = { ns, region, now: at, categories: known, windowTrims };
    const batch = new BatchWrites();
    const touches: SessionTouches = new Map();
    for (const event of sorted) addEventWrites(batch, event, context, touches);
    for (const [sessionId, sessionTouches] of touches) {
      addCoVisits(batch, sessionTouches, priorSessions.get(sessionId), context);
    }

    const requests: OperateRequest[] = [];
    for (const record of batch) {
      const operations = record.toOperations(at);
      if (operations.length === 0) continue;
      requests.push({
        key: record.key,
        operations,
        options: record.ttl === undefined ? {} : { ttl: record.ttl },
      });
    }
    const results = await store.operateMany(requests);
    const followUps: Promise<void>[] = [];
    let failure: StoreError | null = null;
    results.forEach((result, i) => {
      if (result instanceof StoreError) {
        failure ??= result;
        return;
      }
      const next = followUp((requests[i] as OperateRequest).key, result, at);
      if (next) followUps.push(next);
    });
    const settled = await Promise.allSettled(followUps);
    const failed = settled.filter((s) => s.status === "rejected");
    if (failed.length > 0) {
      options.logger?.warn(
        { failed: failed.length, error: String((failed[0] as PromiseRejectedResult).reason) },
        "stream follow-up writes failed (session intent or top-map trim); the next write retries",
      );
    }
    // Not acknowledged: the ingestion layer retries the batch.
    if (failure) throw failure;
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
