import { randomUUID } from "node:crypto";
import type { AcceptedEvent, InternalEventsResponse } from "#shared/api/events";
import { StoreError } from "../store/port.js";
import type { StreamProcessor } from "../stream/stream-processor-port.js";
import { EventApplier, type EventApplierOptions } from "./event-applier.js";
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
  /** Write-behind applier tuning (see `EventApplier`). */
  applier?: Pick<EventApplierOptions, "lingerMs" | "maxBatchEvents" | "maxQueuedEvents">;
  /** How long a delivery waits for room in a full backlog before a retryable 503. */
  backpressureWaitMs?: number;
  /** Test-only crash point (`ORIGIN_FAILPOINT`). */
  failpoint?: Failpoint;
  logger?: { warn(details: object, message: string): void };
  now?: () => number;
}

export interface EventIngestion {
  /**
   * Validates and durably logs a delivered batch (event ids and the
   * delivery's events), queues the new events for the write-behind applier
   * and resolves, so the caller may acknowledge. `applied` counts the events
   * accepted to be applied. Throws `StoreError` when the batch must be
   * redelivered (store failure, or the backlog is full).
   */
  ingest(events: readonly unknown[]): Promise<InternalEventsResponse>;
  /**
   * Start-up recovery: queues the events of logged deliveries a previous
   * process acknowledged but did not apply. Call before serving.
   */
  recover(): Promise<{ deliveries: number; events: number }>;
  /** Resolves once everything accepted so far is applied. */
  idle(): Promise<void>;
  /** Applies what is queued, stops the applier and closes the processor (graceful shutdown). */
  stop(): Promise<void>;
  /** Events accepted and not yet applied. */
  readonly backlog: number;
}

/**
 * The origin's side of event delivery (docs/features.md, "Delivery
 * guarantees"): log each new id create-only together with the delivery's
 * events, answer, and apply new events and leftovers to the real-time
 * features write-behind, coalescing concurrent deliveries.
 *
 * @example
 * const ingestion = createEventIngestion({ log, processor, region: "eu", dedupeWindowSeconds: 604800 });
 * await ingestion.recover();
 * const { applied, duplicates, rejected } = await ingestion.ingest(body.events);
 */
export function createEventIngestion(options: EventIngestionOptions): EventIngestion {
  const clock = options.now ?? Date.now;
  const inFlight = new InFlightEvents();
  const maxAgeMs = options.dedupeWindowSeconds * 1000;
  const waitMs = options.backpressureWaitMs ?? 2_000;
  const applier = new EventApplier({
    log: options.log,
    processor: options.processor,
    onApplied: (ids) => {
      for (const id of ids) inFlight.release(id);
    },
    failpoint: options.failpoint,
    logger: options.logger,
    ...options.applier,
  });

  async function ingest(raw: readonly unknown[]): Promise<InternalEventsResponse> {
    const now = clock();
    const { valid, repeatedInBatch, rejected } = validateEvents(raw, {
      now,
      region: options.region,
      maxAgeMs,
    });
    if (valid.length > 0 && !(await applier.reserve(valid.length, waitMs))) {
      throw new StoreError(
        "unavailable",
        `${applier.backlog} events are waiting to be applied; redeliver the batch later`,
      );
    }
    const reserved = valid.length;
    const mine: AcceptedEvent[] = [];
    const mineIds: string[] = [];
    const othersRunning: Promise<boolean>[] = [];
    for (const { event } of valid) {
      const running = inFlight.get(event.id);
      if (running) othersRunning.push(running);
      else {
        mine.push(event);
        mineIds.push(event.id);
      }
    }
    const settle = inFlight.start(mineIds);

    let duplicates = repeatedInBatch;
    let toApply: AcceptedEvent[] = [];
    const alreadyApplied: string[] = [];
    let logged = false;
    try {
      if (mine.length > 0) {
        const delivery = randomUUID();
        // Serialised once: the pending record stores it, and the applier hands it to the processor.
        const json = JSON.stringify(mine);
        const outcomes = await options.log.claim(mine, now, delivery, json);
        await crashAt(options.failpoint, "exit-after-event-log");
        // New events and leftovers of failed deliveries (pending, not held here) are applied;
        // applied ones are duplicates. The applier marks the delivery record done.
        if (outcomes.includes("applied")) {
          mine.forEach((event, i) => {
            if (outcomes[i] === "applied") alreadyApplied.push(event.id);
            else toApply.push(event);
          });
        } else toApply = mine;
        duplicates += alreadyApplied.length;
        // All of them to apply: the text logged is exactly `toApply` serialised.
        const whole = alreadyApplied.length === 0;
        applier.enqueue(delivery, toApply, toApply.length, whole ? json : undefined);
      }
      logged = true;
    } finally {
      applier.unreserve(logged ? reserved - toApply.length : reserved);
      if (!logged) toApply = [];
      // Logged ids stay held until the applier has applied them; the others are dropped.
      settle(logged);
      for (const id of alreadyApplied) inFlight.release(id);
    }
    const applied = toApply.length;

    // Ids another delivery was logging: duplicates once it logged them, a retry if it failed.
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

  async function recover(): Promise<{ deliveries: number; events: number }> {
    // Each pending event once, under the delivery its log record names (docs: "Delivery guarantees").
    const deliveries = await options.log.pendingEvents();
    let events = 0;
    for (const delivery of deliveries) {
      const list = delivery.events.filter((event) => !inFlight.get(event.id));
      inFlight.hold(list.map((event) => event.id));
      // Also a delivery left with no events: marking it done retires its pending record.
      applier.enqueue(delivery.id, list);
      events += list.length;
    }
    return { deliveries: deliveries.length, events };
  }

  return {
    ingest,
    recover,
    idle: () => applier.idle(),
    stop: async () => {
      await applier.stop();
      await options.processor.close?.();
    },
    get backlog() {
      return applier.backlog;
    },
  };
}
