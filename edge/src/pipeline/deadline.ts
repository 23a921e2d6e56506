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

/** Resolves with `work`'s value, or `undefined` once `ms` have passed (the work is left to finish). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  // Work left behind may still fail later: that must not surface as an unhandled rejection.
  work.catch(() => undefined);
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
