import { FeatureRow } from "#shared/features/admin";
import type { FeatureValue } from "#shared/features/definitions";
import { describeZodIssues } from "#shared/http/api-error";
import type { Operation } from "../../store/port.js";
import { KEY_PART_SEPARATOR, WRITTEN_AT_BIN } from "../layout.js";
import { valueProblem } from "../registry/registry-changes.js";
import type { CompiledEntity } from "../registry/registry-snapshot.js";
import { toBinValue } from "../values.js";

/** A row turned into store operations, or the reason it cannot be written. */
export type PreparedRow =
  | { ok: true; key: string; operations: Operation[] }
  | { ok: false; reason: string };

/** Why `key` does not address one instance of `entity`, or null. */
export function keyProblem(entity: CompiledEntity, key: string): string | null {
  const expected = entity.def.keyParts.length;
  // Hot path (serving checks every key): single-part keys need no split.
  if (expected === 1 && key.length > 0 && !key.includes(KEY_PART_SEPARATOR)) return null;
  const parts = key.split(KEY_PART_SEPARATOR);
  if (parts.length !== expected) {
    return `key "${key}" has ${parts.length} part(s); ${entity.def.name} keys have ${expected} (${entity.def.keyParts.join(KEY_PART_SEPARATOR)})`;
  }
  if (parts.some((p) => p.length === 0)) return `key "${key}" has an empty part`;
  return null;
}

/**
 * Checks one row against the entity's definitions and builds its partial
 * update: one `put` per value (`null` deletes the bin) and one `mapPutItems`
 * setting `_t[<bin>]` = the row's time for each, all in one atomic `operate`.
 */
export function prepareRow(entity: CompiledEntity, raw: unknown, now: number): PreparedRow {
  const parsed = FeatureRow.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: describeZodIssues(parsed.error) };
  const row = parsed.data;
  const badKey = keyProblem(entity, row.key);
  if (badKey) return { ok: false, reason: badKey };
  const names = Object.keys(row.values);
  if (names.length === 0) return { ok: false, reason: "values: no features given" };
  const at = row.ts ?? now;
  const operations: Operation[] = [];
  const stamps: Record<string, number> = {};
  for (const name of names) {
    const feature = entity.features.get(name);
    if (!feature) {
      return { ok: false, reason: `values.${name}: unknown feature of ${entity.def.name}` };
    }
    if (!feature.writable) {
      return {
        ok: false,
        reason: `values.${name}: a ${feature.def.storage.kind} counter is kept by the stream processor and cannot be written`,
      };
    }
    const value = row.values[name];
    if (value === null) {
      operations.push({ op: "put", bin: feature.def.bin, value: null });
      continue;
    }
    const problem = valueProblem(value, feature.def.type, feature.def.dim);
    if (problem) {
      return { ok: false, reason: `values.${name}: ${problem} for a ${feature.def.type} feature` };
    }
    operations.push({
      op: "put",
      bin: feature.def.bin,
      value: toBinValue(value as FeatureValue, feature.def.type),
    });
    stamps[feature.def.bin] = at;
  }
  if (Object.keys(stamps).length > 0) {
    operations.push({ op: "mapPutItems", bin: WRITTEN_AT_BIN, items: stamps });
  }
  return { ok: true, key: row.key, operations };
}
