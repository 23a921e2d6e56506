import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { FeatureLogContext } from "#shared/features/serving";
import type { Logger } from "../../logger.js";
import type { ServedGroup } from "../serving/feature-server.js";
import { type ServedValue, toWireValue } from "../values.js";
import { isSampled } from "./sampling.js";

/** Flush period: lines reach disk within a second, in one append per period. */
const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
/** Pending entries kept while the disk lags; beyond this the newest are dropped (and counted). */
const MAX_PENDING_ENTRIES = 10_000;

/** A feature matrix a model was given: row-major, `keys.length` x `features.length`. */
export interface FeatureMatrix {
  entity: string;
  keys: readonly string[];
  features: readonly string[];
  values: Float32Array | readonly (readonly (ServedValue | null)[])[];
}

export interface FeatureLogOptions {
  path: string;
  /** 0 disables the log; 1 logs every request that asks for it. */
  sampleRate: number;
  flushIntervalMs?: number;
  logger?: Logger;
}

/** A model-proxy log line also names the experiment arm that chose the model version. */
export type MatrixLogContext = FeatureLogContext & { arm?: string };

/** What is kept until the flush; serialised off the request path. */
interface Pending {
  ts: number;
  context: MatrixLogContext;
  entity: string;
  features: readonly string[];
  rows: { key: string; values: readonly (ServedValue | null)[] }[];
}

function matrixRows(matrix: FeatureMatrix): Pending["rows"] {
  const width = matrix.features.length;
  return matrix.keys.map((key, r) => {
    const values = matrix.values;
    if (values instanceof Float32Array) {
      return { key, values: Array.from(values.subarray(r * width, (r + 1) * width)) };
    }
    return { key, values: values[r] ?? [] };
  });
}

/**
 * The training log: a deterministic sample (by request id) of the feature
 * vectors actually served, appended as NDJSON lines
 * `{ ts, requestId, modelId, modelVersion, arm?, entity, key, features }`
 * (`arm` when an experiment chose the model version).
 * Requests only queue references; a timer serialises and appends them.
 */
export class FeatureLog {
  private pending: Pending[] = [];
  private dropped = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: ReturnType<typeof setInterval> | null;
  private dirReady = false;

  constructor(private readonly options: FeatureLogOptions) {
    this.timer =
      options.sampleRate > 0
        ? setInterval(() => void this.flush(), options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS)
        : null;
    this.timer?.unref();
  }

  /** Whether this request's vectors go to the log. */
  sampled(requestId: string): boolean {
    return isSampled(requestId, this.options.sampleRate);
  }

  private queue(entry: Pending): void {
    if (this.pending.length >= MAX_PENDING_ENTRIES) {
      this.dropped++;
      return;
    }
    this.pending.push(entry);
  }

  /** Called by serving with what it returned. */
  logServed(context: FeatureLogContext, groups: readonly ServedGroup[], ts = Date.now()): void {
    if (!this.sampled(context.requestId)) return;
    for (const group of groups) {
      this.queue({ ts, context, entity: group.entity, features: group.features, rows: group.rows });
    }
  }

  /**
   * For the model proxy: logs the matrix it fed a model, under the same
   * sampling decision, so training rows match what the model saw.
   */
  logMatrix(context: MatrixLogContext, matrix: FeatureMatrix, ts = Date.now()): void {
    if (!this.sampled(context.requestId)) return;
    this.queue({
      ts,
      context,
      entity: matrix.entity,
      features: matrix.features,
      rows: matrixRows(matrix),
    });
  }

  private serialise(entries: readonly Pending[]): string {
    let out = "";
    for (const entry of entries) {
      for (const row of entry.rows) {
        const features: Record<string, unknown> = {};
        entry.features.forEach((name, i) => {
          features[name] = toWireValue(row.values[i] ?? null);
        });
        out += `${JSON.stringify({
          ts: entry.ts,
          requestId: entry.context.requestId,
          modelId: entry.context.modelId,
          modelVersion: entry.context.modelVersion,
          // Absent (not null) outside experiments, so old readers see the same lines.
          ...(entry.context.arm === undefined ? {} : { arm: entry.context.arm }),
          entity: entry.entity,
          key: row.key,
          features,
        })}\n`;
      }
    }
    return out;
  }

  /** Appends everything queued so far; resolves once it is on disk. */
  flush(): Promise<void> {
    const entries = this.pending;
    this.pending = [];
    if (this.dropped > 0) {
      this.options.logger?.warn({ dropped: this.dropped }, "feature log fell behind; dropped");
      this.dropped = 0;
    }
    if (entries.length === 0) return this.writing;
    this.writing = this.writing.then(async () => {
      try {
        if (!this.dirReady) {
          await mkdir(dirname(this.options.path), { recursive: true });
          this.dirReady = true;
        }
        await appendFile(this.options.path, this.serialise(entries));
      } catch (error) {
        this.options.logger?.error({ err: error }, "feature log write failed");
      }
    });
    return this.writing;
  }

  /** Stops the timer and flushes what is left (origin stop). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
