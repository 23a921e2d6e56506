import type { AcceptedEvent } from "#shared/api/events";
import type { StreamProcessor } from "../stream/stream-processor-port.js";
import type { EventLog } from "./event-log.js";
import { crashAt, type Failpoint } from "./failpoint.js";

export interface EventApplierOptions {
  log: EventLog;
  processor: StreamProcessor;
  /** Called with the ids of events once they are applied and marked so in the log. */
  onApplied(ids: readonly string[]): void;
  /**
   * How long the applier waits after work arrives while idle, so concurrent
   * deliveries coalesce into one processor batch (hot records written once).
   * While a flush runs, new deliveries queue up and go in the next one.
   */
  lingerMs?: number;
  /**
   * Upper bound of events per processor batch (default 20,000). Below it,
   * flushes follow the measured apply rate (`FlushSizing`): a bigger batch
   * writes each hot record once for more events, a smaller one is applied sooner.
   */
  maxBatchEvents?: number;
  /**
   * Events logged and waiting for the next flush beyond which deliveries wait
   * (backpressure); by default the current flush size, so what waits fits
   * in one flush. The flush being applied is not counted: deliveries for
   * the next one are logged while it runs, so both threads (on LMDB) work.
   */
  maxQueuedEvents?: number;
  /** Test-only crash points (`ORIGIN_FAILPOINT`). */
  failpoint?: Failpoint;
  logger?: { warn(details: object, message: string): void };
}

interface Entry {
  /** The pending-delivery record to mark done once these events are applied. */
  delivery: string;
  events: readonly AcceptedEvent[];
  /** `JSON.stringify(events)`, if the ingestion already made it. */
  json: string | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The write-behind applier: deliveries are acknowledged once durably logged,
 * and this per-process loop applies everything logged so far to the
 * real-time features in batches sized by `FlushSizing` (5,000 events until
 * a rate is measured, then 1,000-20,000: what two flushes apply in 0.55 s less the wait for the disk),
 * then marks their deliveries done in the event log (which makes their
 * events applied).
 * A failed apply is retried with back-off (the entries stay queued and
 * durable); a failed mark retries only the mark.
 */
export class EventApplier {
  private readonly queue: Entry[] = [];
  /** Events in `queue`: logged, waiting for a flush. */
  private queuedEvents = 0;
  /** Events of the flush being applied. */
  private applyingEvents = 0;
  private reserved = 0;
  private running = false;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly lingerMs: number;
  private readonly sizing: FlushSizing;
  /** Halved after a failed flush (e.g. a batch read timing out on a loaded store), restored on success. */
  private batchLimit: number;
  private readonly loop: Promise<void>;

  constructor(private readonly options: EventApplierOptions) {
    this.lingerMs = options.lingerMs ?? 10;
    this.sizing = new FlushSizing({
      // 1,000: below it a flush is mostly fixed costs (the processor does ~70% of its 5,000-event rate).
      min: 1_000,
      // 20,000: past it the processor gains little (fewer hot-record writes per event flatten out).
      max: options.maxBatchEvents ?? 20_000,
      // 0.55 s for two flushes (the one applying and the one an event joins) and the last one's
      // flush to disk (`FlushSizing.durable`; LMDB's next flush runs during it): the edge's queue
      // adds up to 0.25 s in front of the 1 s bound, and the rate measured lags a box that
      // suddenly slows down. Acknowledged -> durable under a full backlog on the events bench
      // (2026-11-24 01:18, 500/batch): p99 0.53-0.57 s, max 0.55-0.58 s, as with 0.5 s (the
      // same rows then: 51-61k events/s at 0.5 s, 57-63k at 0.55 s). Before flushes overlapped
      // the disk, 0.6 s (with the disk inside each flush) reached max 0.76 s: past the 0.75 s left.
      visibilityMs: 550,
    });
    this.batchLimit = this.sizing.limit;
    this.loop = this.run();
  }

  /** Events allowed to wait for the next flush (one flush's worth: what waits goes in it). */
  private get maxQueuedEvents(): number {
    return this.options.maxQueuedEvents ?? this.sizing.limit;
  }

  /** Events logged (or being logged) and not yet applied. */
  get backlog(): number {
    return this.queuedEvents + this.applyingEvents + this.reserved;
  }

  /** Events logged (or being logged) and not yet taken by a flush. */
  private get waiting(): number {
    return this.queuedEvents + this.reserved;
  }

  /**
   * Reserves room for `count` events about to be logged; waits while the
   * queue for the next flush is full, up to `timeoutMs`. `false` = no room
   * (answer 503). Always admits a delivery when nothing is waiting.
   */
  async reserve(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.waiting > 0 && this.waiting + count > this.maxQueuedEvents) {
      const left = deadline - Date.now();
      if (left <= 0 || this.stopping) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
    this.reserved += count;
    return true;
  }

  /** Gives back a reservation (the delivery failed, or fewer events need applying). */
  unreserve(count: number): void {
    this.reserved -= count;
    this.notify();
  }

  /**
   * Queues a logged delivery's events; `reserved` is the part of its
   * reservation it uses up, `json` the events serialised if at hand.
   */
  enqueue(delivery: string, events: readonly AcceptedEvent[], reserved = 0, json?: string): void {
    this.reserved -= reserved;
    this.queue.push({ delivery, events, json });
    this.queuedEvents += events.length;
    this.wake?.();
  }

  /** Resolves once everything queued so far is applied and marked (or the applier stopped). */
  async idle(): Promise<void> {
    while ((this.queue.length > 0 || this.running || this.marks > 0) && !this.finished) {
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  private finished = false;
  /** Flushes in a row that failed after their writes were in (`requeue`); 0 after a durable one. */
  private lateFailures = 0;
  /** Marks in flight or waiting for their flush to be durable (at most two, in order). */
  private marks = 0;
  private marking: Promise<void> = Promise.resolve();
  /** `marking` as it was before the last flush: every mark but the last flush's. */
  private markingBefore: Promise<void> = Promise.resolve();

  /** Applies what is queued, then ends the loop. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  private take(): Entry[] {
    const batch: Entry[] = [];
    let events = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Entry;
      if (batch.length > 0 && events + next.events.length > this.batchLimit) break;
      batch.push(next);
      events += next.events.length;
      this.queue.shift();
    }
    return batch;
  }

  private async run(): Promise<void> {
    let failures = 0;
    for (;;) {
      if (this.queue.length === 0) {
        this.notify();
        if (this.stopping) {
          // A flush that fails once its writes were in puts its batch back (`requeue`).
          await this.marking;
          if (this.queue.length > 0) continue;
          break;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        if (this.lingerMs > 0 && !this.stopping) await sleep(this.lingerMs);
        continue;
      }
      if (this.lateFailures > 0) {
        // Flushes keep failing once written (commit or disk trouble): back off as for any failure.
        if (this.stopping && this.lateFailures >= 5) break;
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(this.lateFailures, 5)));
      }
      this.running = true;
      const started = performance.now();
      const batch = this.take();
      const events = batch.flatMap((entry) => entry.events);
      // Taken: room for the deliveries of the next flush.
      this.queuedEvents -= events.length;
      this.applyingEvents += events.length;
      this.notify();
      try {
        await this.flush(batch, events);
        failures = 0;
        this.sizing.flushed(events.length, performance.now() - started);
        this.batchLimit = Math.min(this.sizing.limit, this.batchLimit * 2);
      } catch (error) {
        // Still logged and pending: put the batch back and retry (at least once, never lost).
        this.queue.unshift(...batch);
        this.queuedEvents += events.length;
        this.applyingEvents -= events.length;
        failures++;
        this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
        this.options.logger?.warn(
          { err: String(error), events: events.length, failures },
          "applying logged events failed; retrying",
        );
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(failures, 5)));
        if (this.stopping && failures >= 5) break;
        continue;
      } finally {
        this.running = false;
      }
      this.notify();
    }
    await this.marking;
    this.finished = true;
    this.notify();
  }

  /**
   * Applies a batch, then marks it in the background: the next batch is
   * applied (on LMDB by the worker thread) while this one is marked (here).
   * Returns once the batch's writes are in (a processor that says so: the
   * LMDB one, whose next transaction then runs while this one is flushed to
   * disk) or else applied; marking waits until they are durable. Marks stay
   * in order and at most two are outstanding; a batch's events are released
   * (`onApplied`) only once marked.
   */
  private async flush(batch: Entry[], events: AcceptedEvent[]): Promise<void> {
    const { processor, failpoint } = this.options;
    await crashAt(failpoint, "exit-before-apply", 300);
    /** `null` once durable, else why the apply failed. */
    let applied: Promise<unknown> = Promise.resolve(null);
    if (events.length > 0) {
      // Only when every delivery has its text (not after recovery): a processor in this thread
      // ignores it, one on a worker serialises the events itself.
      const serialized = batch.every((entry) => entry.json !== undefined)
        ? batch.map((entry) => entry.json as string)
        : undefined;
      let onWritten = () => {};
      const written = new Promise<void>((resolve) => {
        onWritten = resolve;
      });
      const applying = processor.apply(events, serialized, onWritten);
      // A failure before the writes are in fails the flush here (the loop retries it).
      await Promise.race([written, applying]);
      const writtenAt = performance.now();
      applied = applying.then(
        () => {
          this.sizing.durable(events.length, performance.now() - writtenAt);
          return null;
        },
        (error: unknown) => error ?? new Error("apply failed"),
      );
    }
    const previous = this.marking;
    this.marks++;
    this.marking = previous
      .then(() => applied)
      .then(async (failure) => {
        if (failure !== null) return this.requeue(batch, events, failure);
        this.lateFailures = 0;
        await crashAt(failpoint, "exit-after-apply");
        await this.mark(batch, events);
      })
      // A mark never rejects (it retries); a throwing `onApplied` must not fail the next flush.
      .catch((error: unknown) => {
        this.options.logger?.warn({ err: String(error) }, "releasing applied events failed");
      })
      .finally(() => {
        this.marks--;
        this.applyingEvents -= events.length;
        this.notify();
      });
    // At most two marks behind: the log's writes keep pace with the applies. (One behind made
    // the next flush on LMDB wait for the last one's mark, which can start only once that flush
    // is durable: ~15 ms of the worker's ~140 ms cycle.)
    const beforePrevious = this.markingBefore;
    this.markingBefore = previous;
    await beforePrevious;
  }

  /**
   * A batch whose writes were in but never became durable (the commit or
   * its flush failed, or the worker died): still logged and pending, it goes
   * back to the front of the queue. The flush after it may have been applied
   * meanwhile: counters are sums and come out the same; only recent-item
   * lists and last actions may order the two flushes' events differently.
   */
  private requeue(batch: Entry[], events: AcceptedEvent[], error: unknown): void {
    this.queue.unshift(...batch);
    this.queuedEvents += events.length;
    this.lateFailures++;
    this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
    this.options.logger?.warn(
      { err: String(error), events: events.length, failures: this.lateFailures },
      "logged events written but not made durable; retrying",
    );
    this.wake?.();
  }

  private async mark(batch: Entry[], events: AcceptedEvent[]): Promise<void> {
    const { log } = this.options;
    const ids = events.map((event) => event.id);
    const deliveries = batch.map((entry) => entry.delivery);
    // The features are written: retry only the mark, never the apply (it would count twice).
    for (let attempt = 0; ; attempt++) {
      try {
        // One write per delivery: every event logged under a done delivery is applied.
        await log.markApplied(deliveries);
        break;
      } catch (error) {
        this.options.logger?.warn({ err: String(error), attempt }, "marking events applied failed");
        // Stopping with the store down: leave them pending; start-up recovery applies them again.
        if (attempt >= 5 && this.stopping) return;
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)));
      }
    }
    this.options.onApplied(ids);
  }
}

/** The flush size before any rate is measured: 5,000 events, ≈ 0.3 s for the processor here. */
const FIRST_FLUSH_EVENTS = 5_000;

/**
 * Sizes flushes from the measured apply rate: under a full backlog an
 * acknowledged event waits for the flush being applied and then its own,
 * and then for its own to be flushed to disk, so a flush may hold what the
 * processor applies in half of what is left of the visibility budget after
 * that last wait, within bounds. The rate follows flushes of at least half
 * the minimum (tinier ones are mostly fixed costs): down at once, up by
 * halves; the wait for the disk likewise (up at once, down by halves).
 * Small flushes measure a lower rate than full ones, so under a growing
 * backlog flushes grow step by step: each measures the rate its size allows.
 */
export class FlushSizing {
  /** Events per ms, `null` until a flush big enough was measured. */
  private rate: number | null = null;
  /** How long a flush's writes took to become durable after they were in (ms). */
  private durableLagMs = 0;
  /** The current flush size. */
  limit: number;

  constructor(private readonly bounds: { min: number; max: number; visibilityMs: number }) {
    this.limit = Math.min(bounds.max, Math.max(bounds.min, FIRST_FLUSH_EVENTS));
  }

  /**
   * A flush of `events` took `ms` until its writes were in (or, for a
   * processor that does not say, until durable), with the wait for the
   * previous mark: the cycle.
   */
  flushed(events: number, ms: number): void {
    if (events < this.bounds.min / 2 || ms <= 0) return;
    const rate = events / ms;
    // Down at once (the next flush must not overrun), up half way (one fast flush may be luck).
    this.rate = this.rate === null || rate < this.rate ? rate : (this.rate + rate) / 2;
    this.resize();
  }

  /** A flush of `events` became durable `ms` after its writes were in (its commit's flush to disk). */
  durable(events: number, ms: number): void {
    if (events < this.bounds.min / 2 || ms < 0) return;
    this.durableLagMs = ms > this.durableLagMs ? ms : (this.durableLagMs + ms) / 2;
    this.resize();
  }

  private resize(): void {
    if (this.rate === null) return;
    const { min, max, visibilityMs } = this.bounds;
    // The disk's share is capped at half the budget: a stalled disk must not shrink flushes to nothing.
    const budget = visibilityMs - Math.min(this.durableLagMs, visibilityMs / 2);
    const fits = Math.floor((this.rate * budget) / 2);
    this.limit = Math.min(max, Math.max(min, fits));
  }
}
