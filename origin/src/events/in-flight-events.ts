/**
 * Event ids this process holds: being logged by a delivery, or logged and
 * queued for the write-behind applier. A second delivery of an id held here
 * waits for the first one's logging outcome (`true` = durably logged, so a
 * duplicate) instead of taking it again; a pending event-log record whose id
 * is *not* held here is a leftover of a failed delivery and is taken again.
 */
export class InFlightEvents {
  private readonly running = new Map<string, Promise<boolean>>();
  private readonly settle = new Map<string, (logged: boolean) => void>();

  /** The first delivery's logging outcome if `id` is held here, else `undefined`. */
  get(id: string): Promise<boolean> | undefined {
    return this.running.get(id);
  }

  /** Takes `id`. Synchronous, so two deliveries in one process cannot both take it. */
  start(id: string): void {
    let resolve!: (logged: boolean) => void;
    this.running.set(id, new Promise<boolean>((r) => (resolve = r)));
    this.settle.set(id, resolve);
  }

  /** Logging finished: kept (until `release`) if logged, dropped if not. */
  finish(id: string, logged: boolean): void {
    this.settle.get(id)?.(logged);
    this.settle.delete(id);
    if (!logged) this.running.delete(id);
  }

  /** The event is applied and marked so in the log: later deliveries read `applied` there. */
  release(id: string): void {
    this.running.delete(id);
  }

  get size(): number {
    return this.running.size;
  }
}
