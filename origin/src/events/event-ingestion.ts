import type { AcceptedEvent, InternalEventsResponse } from "#shared/api/events";
import { StoreError } from "../store/port.js";
import type { StreamProcessor } from "../stream/stream-processor-port.js";
import type { EventLog } from "./event-log.js";
import { crashAt, type Failpoint } from "./failpoint.js";
import { InFlightEvents } from "./in-flight-events.js";
import { validateEvents } from "./validate-events.js";

export interface EventIngestionOptions {
  log: EventLog;
  processor: StreamProcessor;
  /** The origin's region, for events that arrive without one. */
  region: string;
  /** How long an event id is remembered; older events are refused. */
  dedupeWindowSeconds: number;
  /** Test-only crash point (`ORIGIN_FAILPOINT`). */
  failpoint?: Failpoint;
  now?: () => number;
}

export interface EventIngestion {
  /**
   * Validates, logs, applies and marks a delivered batch; resolves only when
   * all of it is durable, so the caller may acknowledge. Throws `StoreError`
   * when the batch must be redelivered.
   */
  ingest(events: readonly unknown[]): Promise<InternalEventsResponse>;
}

/**
 * The origin's side of event delivery (docs/features.md, "Delivery
 * guarantees"): log each new id create-only, apply new events and crash
 * leftovers to the real-time features, mark them applied, then answer.
 *
 * @example
 * const ingestion = createEventIngestion({ log, processor, region: "eu", dedupeWindowSeconds: 604800 });
 * const { applied, duplicates, rejected } = await ingestion.ingest(body.events);
 */
export function createEventIngestion(options: EventIngestionOptions): EventIngestion {
  const clock = options.now ?? Date.now;
  const inFlight = new InFlightEvents();
  const maxAgeMs = options.dedupeWindowSeconds * 1000;

  async function ingest(raw: readonly unknown[]): Promise<InternalEventsResponse> {
    const now = clock();
    const { valid, repeatedInBatch, rejected } = validateEvents(raw, {
      now,
      region: options.region,
      maxAgeMs,
    });
    const mine: AcceptedEvent[] = [];
    const othersRunning: Promise<boolean>[] = [];
    for (const { event } of valid) {
      const running = inFlight.get(event.id);
      if (running) othersRunning.push(running);
      else {
        inFlight.start(event.id);
        mine.push(event);
      }
    }

    let applied = 0;
    let duplicates = repeatedInBatch;
    let succeeded = false;
    try {
      const outcomes = mine.length > 0 ? await options.log.claim(mine, now) : [];
      await crashAt(options.failpoint, "exit-after-event-log");
      // New events and crash leftovers (pending, not in flight here) are applied; applied ones are duplicates.
      const toApply = mine.filter((_, i) => outcomes[i] !== "applied");
      duplicates += mine.length - toApply.length;
      if (toApply.length > 0) {
        await options.processor.apply(toApply);
        await crashAt(options.failpoint, "exit-after-apply");
        await options.log.markApplied(toApply.map((event) => event.id));
      }
      applied = toApply.length;
      succeeded = true;
    } finally {
      for (const event of mine) inFlight.finish(event.id, succeeded);
    }

    // Ids another delivery was ingesting: duplicates once it succeeded, a retry if it failed.
    const outcomesElsewhere = await Promise.all(othersRunning);
    if (outcomesElsewhere.includes(false)) {
      throw new StoreError(
        "unavailable",
        "a concurrent delivery of some of these events failed; redeliver the batch",
      );
    }
    duplicates += othersRunning.length;
    return { applied, duplicates, rejected };
  }

  return { ingest };
}
