import pLimit from "p-limit";
import type { RowError } from "#shared/features/admin";
import type { StorePort } from "../../store/port.js";
import { featureRecordKey } from "../layout.js";
import type { RegistrySnapshot } from "../registry/registry-snapshot.js";
import { prepareRow } from "./validate-row.js";

/** Rows written at once: keeps LMDB's commit batches full and stays under Aerospike's per-node pool. */
export const DEFAULT_WRITE_CONCURRENCY = 64;

export interface FeatureWriteContext {
  store: StorePort;
  namespace: string;
  registry: { snapshot(): RegistrySnapshot };
  now?: () => number;
  concurrency?: number;
}

export interface WriteResult {
  written: number;
  /** Rows not written, by index in the input and why. */
  errors: RowError[];
}

/**
 * Writes a batch of rows of one entity: each row is a partial update of that
 * instance's value features (one atomic `operate` per row, bounded
 * concurrency). Bad rows are reported by index and reason; the good ones are
 * written. Writing the same rows again gives the same record.
 *
 * @example
 * await writeFeatures(ctx, "item", [{ key: "i00001", values: { price: 499 } }]);
 */
export async function writeFeatures(
  ctx: FeatureWriteContext,
  entity: string,
  rows: readonly unknown[],
): Promise<WriteResult> {
  const snapshot = ctx.registry.snapshot();
  const compiled = snapshot.entities.get(entity);
  if (!compiled) {
    return {
      written: 0,
      errors: rows.map((_, index) => ({ index, reason: `unknown entity "${entity}"` })),
    };
  }
  const now = (ctx.now ?? Date.now)();
  const limit = pLimit(ctx.concurrency ?? DEFAULT_WRITE_CONCURRENCY);
  const errors: RowError[] = [];
  let written = 0;
  await Promise.all(
    rows.map((raw, index) => {
      const row = prepareRow(compiled, raw, now);
      if (!row.ok) {
        errors.push({ index, reason: row.reason });
        return undefined;
      }
      return limit(async () => {
        try {
          await ctx.store.operate(
            featureRecordKey(ctx.namespace, entity, row.key),
            row.operations,
            { ttl: compiled.recordTtlSeconds },
          );
          written++;
        } catch (error) {
          errors.push({ index, reason: `store: ${(error as Error).message}` });
        }
      });
    }),
  );
  errors.sort((a, b) => a.index - b.index);
  return { written, errors };
}
