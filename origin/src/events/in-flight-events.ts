/**
 * Event ids this process is ingesting right now. A second delivery of an id
 * that is in flight waits for the first instead of applying it again; a pending
 * event-log record whose id is *not* in flight here is a crash leftover.
 */
export class InFlightEvents {
  private readonly running = new Map<string, Promise<boolean>>();
  private readonly settle = new Map<string, (applied: boolean) => void>();

  /** The first delivery's outcome (`true` = applied) if `id` is in flight, else `undefined`. */
  get(id: string): Promise<boolean> | undefined {
    return this.running.get(id);
  }

  /** Marks `id` as in flight. Synchronous, so two deliveries in one process cannot both start it. */
  start(id: string): void {
    let resolve!: (applied: boolean) => void;
    this.running.set(id, new Promise<boolean>((r) => (resolve = r)));
    this.settle.set(id, resolve);
  }

  finish(id: string, applied: boolean): void {
    this.settle.get(id)?.(applied);
    this.settle.delete(id);
    this.running.delete(id);
  }

  get size(): number {
    return this.running.size;
  }
}
