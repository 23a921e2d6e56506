/** The outcome of recovered events: they were logged by an earlier process. */
const LOGGED = Promise.resolve(true);

/**
 * Event ids this process holds: being logged by a delivery, or logged and
 * queued for the write-behind applier. A second delivery of an id held here
 * waits for the first one's logging outcome (`true` = durably logged, so a
 * duplicate) instead of taking it again; a pending event-log record whose id
 * is *not* held here is a leftover of a failed delivery and is taken again.
 * A delivery's ids share one outcome (one promise per delivery, not per event).
 */
export class InFlightEvents {
  private readonly held = new Map<string, Promise<boolean>>();

  /** The holding delivery's logging outcome if `id` is held here, else `undefined`. */
  get(id: string): Promise<boolean> | undefined {
    return this.held.get(id);
  }

  /**
   * Takes `ids` for one delivery's logging. Synchronous, so two deliveries in
   * one process cannot both take an id. Returns the call that settles them
   * once logging finished: kept (until `release`) if logged, dropped if not.
   */
  start(ids: readonly string[]): (logged: boolean) => void {
    let resolve!: (logged: boolean) => void;
    const outcome = new Promise<boolean>((r) => (resolve = r));
    for (const id of ids) this.held.set(id, outcome);
    return (logged) => {
      resolve(logged);
      if (logged) return;
      for (const id of ids) if (this.held.get(id) === outcome) this.held.delete(id);
    };
  }

  /** Holds ids an earlier process logged (start-up recovery), as logged. */
  hold(ids: readonly string[]): void {
    for (const id of ids) this.held.set(id, LOGGED);
  }

  /** The event is applied and marked so in the log: later deliveries read `applied` there. */
  release(id: string): void {
    this.held.delete(id);
  }

  get size(): number {
    return this.held.size;
  }
}
