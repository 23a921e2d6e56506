/** Stages of the recommendation pipeline, in the order they run. */
export type Stage = "session" | "cache" | "hot" | "retrieval" | "origin" | "cold" | "total";

/**
 * Per-stage durations of one request, rendered as a `Server-Timing` header
 * (`cache;dur=0.1, session;dur=0.4, …`); a skipped stage is left out.
 */
export class StageTimings {
  readonly #durations = new Map<Stage, number>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Times `work` as `stage`; the stage's time is recorded even if it throws. */
  async time<T>(stage: Stage, work: () => Promise<T>): Promise<T> {
    const started = this.#now();
    try {
      return await work();
    } finally {
      this.record(stage, this.#now() - started);
    }
  }

  record(stage: Stage, ms: number): void {
    this.#durations.set(stage, (this.#durations.get(stage) ?? 0) + ms);
  }

  has(stage: Stage): boolean {
    return this.#durations.has(stage);
  }

  header(): string {
    return [...this.#durations].map(([stage, ms]) => `${stage};dur=${ms.toFixed(1)}`).join(", ");
  }
}
