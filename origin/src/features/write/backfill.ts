import type { RowError } from "#shared/features/admin";
import { type FeatureWriteContext, writeFeatures } from "./write-features.js";

/** Rows per `writeFeatures` call: big enough for full store batches, small enough to stream. */
export const DEFAULT_BACKFILL_BATCH = 500;

export interface BackfillProgress {
  /** Lines read so far (including blank and bad ones). */
  lines: number;
  written: number;
  bad: number;
  /** Characters consumed so far; compare with the file size for a percentage. */
  chars: number;
}

export interface BackfillSummary extends BackfillProgress {
  /** Bad rows with their 1-based line numbers; at most `maxReported`, `bad` counts them all. */
  errors: { line: number; reason: string }[];
}

export interface BackfillOptions {
  batchSize?: number;
  /** Bad rows kept for the summary; the count is always exact. */
  maxReported?: number;
  onProgress?: (progress: BackfillProgress) => void;
  onBadRow?: (error: { line: number; reason: string }) => void;
}

interface Pending {
  entity: string;
  rows: unknown[];
  lines: number[];
}

/**
 * Streams NDJSON feature rows (`{"entity","key","values","ts"?}` per line)
 * from `input` into the store in batches through `writeFeatures`. Reads one
 * chunk at a time, so files of any size stream in bounded memory. Bad lines
 * are reported by line number and reason; good ones are written. Rows carry
 * their own `ts`, so loading the same file again gives the same records.
 */
export async function backfill(
  input: AsyncIterable<string>,
  ctx: FeatureWriteContext,
  options: BackfillOptions = {},
): Promise<BackfillSummary> {
  const batchSize = options.batchSize ?? DEFAULT_BACKFILL_BATCH;
  const maxReported = options.maxReported ?? 1_000;
  const summary: BackfillSummary = { lines: 0, written: 0, bad: 0, chars: 0, errors: [] };
  let pending: Pending | null = null;

  const bad = (line: number, reason: string) => {
    summary.bad++;
    const error = { line, reason };
    if (summary.errors.length < maxReported) summary.errors.push(error);
    options.onBadRow?.(error);
  };

  const flush = async () => {
    if (!pending) return;
    const batch = pending;
    pending = null;
    const result = await writeFeatures(ctx, batch.entity, batch.rows);
    summary.written += result.written;
    for (const error of result.errors as RowError[]) {
      bad(batch.lines[error.index] as number, error.reason);
    }
    options.onProgress?.({ ...summary });
  };

  const take = async (text: string, line: number) => {
    if (text.trim() === "") return;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      return bad(line, "not valid JSON");
    }
    const entity = (row as { entity?: unknown } | null)?.entity;
    if (typeof entity !== "string" || entity === "") {
      return bad(line, 'entity: expected the entity name, e.g. "item"');
    }
    if (pending && pending.entity !== entity) await flush();
    pending ??= { entity, rows: [], lines: [] };
    pending.rows.push(row);
    pending.lines.push(line);
    if (pending.rows.length >= batchSize) await flush();
  };

  let carry = "";
  for await (const chunk of input) {
    summary.chars += chunk.length;
    const parts = (carry + chunk).split("\n");
    carry = parts.pop() ?? "";
    for (const part of parts) await take(part, ++summary.lines);
  }
  if (carry !== "") await take(carry, ++summary.lines);
  await flush();
  options.onProgress?.({ ...summary });
  return summary;
}
