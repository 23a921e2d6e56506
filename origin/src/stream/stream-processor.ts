import pLimit from "p-limit";
import type { AcceptedEvent } from "#shared/api/events";
import { featureSet, regionalBin, WRITTEN_AT_BIN } from "../features/layout.js";
import {
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

function recordId(key: RecordKey): string {
  return `${key.set}\u0000${key.key}`;
}

/**
 * Builds the stream processor: per batch, one catalog read for unknown
 * categories, one atomic `operate` per distinct session record (whose
 * read-back recent items give co-visitation and whose intent scores give the
 * intent category), then one `operate` per other record, with bounded
 * concurrency. All counters are adds that commute, so concurrent batches and
 * per-region bins need no coordination.
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
    const context: BatchContext = {
      ns,
      region,
      now: at,
      categories: await categories.categories(lookup),
    };
    const batch = new BatchWrites();
    const touches: SessionTouches = new Map();
    for (const event of sorted) addEventWrites(batch, event, context, touches);

    const records = [...batch];
    const sessions = records.filter((r) => r.key.set === SESSION_SET);
    const sessionResults = await Promise.all(sessions.map((record) => write(record, at)));
    const intents: Promise<void>[] = [];
    sessions.forEach((record, i) => {
      const result = sessionResults[i];
      if (!result) return;
      const touched = touches.get(recordId(record.key));
      if (touched) {
        addCoVisits(
          batch,
          touched.values(),
          result.bins[SESSION_FEATURES.recentItems.bin],
          context,
        );
      }
      intents.push(updateIntent(record.key, result, at));
    });
    // Co-visitation may have added records: take the batch again, minus the sessions.
    const rest = [...batch].filter((r) => r.key.set !== SESSION_SET);
    await Promise.all([...intents, ...rest.map((record) => writeAndTrim(record, at))]);
  }

  return { apply };
}
