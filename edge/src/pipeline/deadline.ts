/**
 * A request's latency budget. Time is read with `performance.now()`, which in
 * workerd advances across I/O: exactly the waits a budget is about.
 */
export class Deadline {
  readonly budgetMs: number;
  readonly #start: number;
  readonly #now: () => number;

  constructor(budgetMs: number, now: () => number = () => performance.now()) {
    this.budgetMs = budgetMs;
    this.#now = now;
    this.#start = now();
  }

  elapsedMs(): number {
    return this.#now() - this.#start;
  }

  remainingMs(): number {
    return Math.max(0, this.budgetMs - this.elapsedMs());
  }
}

/**
 * Resolves with `work`'s value, or `undefined` once `ms` have passed. Work
 * left behind goes on: handed to `keepAlive` (the request's `waitUntil`) it
 * finishes even after the response, so what it fills (the hot layer, a pool
 * load other requests wait on) is there for the next request.
 */
export async function within<T>(
  work: Promise<T>,
  ms: number,
  keepAlive?: (promise: Promise<unknown>) => void,
): Promise<T | undefined> {
  // Work left behind may still fail later: that must not surface as an unhandled rejection.
  const settled = work.catch(() => undefined);
  keepAlive?.(settled);
  if (ms <= 0) return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
