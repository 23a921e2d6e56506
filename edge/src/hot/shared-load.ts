/**
 * A load one request started and other requests of the same isolate may wait
 * on. In workerd the load's I/O belongs to the request that started it: if
 * that request ends before the load settles (and did not keep it alive with
 * `waitUntil`), the load is cancelled and its promise never settles. So no
 * one waits on a shared load past `giveUpAt`: after that it is presumed dead,
 * nobody joins it any more, and whoever still needs the data loads it again
 * in its own request.
 */
export interface SharedLoad<T> {
  /** Settles with the load's outcome; never rejects (failures are part of `T`). */
  readonly result: Promise<T>;
  /** Epoch ms (`Date.now()`, which in workerd advances across I/O) after which the load is given up. */
  readonly giveUpAt: number;
}

/** What a wait on a shared load answers when the load did not settle by its `giveUpAt`. */
export const GAVE_UP: unique symbol = Symbol("gave up on a shared load");

/** How long past the region store's own wait a load may take before it is presumed dead. */
export const LOAD_SLACK_MS = 1_000;

/** Starts `work` as a shared load, handing it to `waitUntil` so the starting request stays alive for it. */
export function startSharedLoad<T>(
  work: Promise<T>,
  storeWaitMs: number,
  waitUntil?: (promise: Promise<unknown>) => void,
): SharedLoad<T> {
  waitUntil?.(work);
  return { result: work, giveUpAt: Date.now() + storeWaitMs + LOAD_SLACK_MS };
}

/** Whether new readers may still join `load` (it is not past its bound). */
export function joinable(load: SharedLoad<unknown>): boolean {
  return Date.now() < load.giveUpAt;
}

/** The load's outcome, or `GAVE_UP` once its bound has passed (an already settled load always wins). */
export function waitForShared<T>(load: SharedLoad<T>): Promise<T | typeof GAVE_UP> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof GAVE_UP>((resolve) => {
    timer = setTimeout(() => resolve(GAVE_UP), Math.max(0, load.giveUpAt - Date.now()));
  });
  return Promise.race([load.result, late]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
