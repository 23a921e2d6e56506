import type { Bins, StoreRecord } from "../../store/port.js";
import { WRITTEN_AT_BIN } from "../layout.js";
import { type DecodeContext, decodeFeature } from "../storage-read.js";
import { type ServedValue, VectorArena } from "../values.js";
import type { CellServer, RowTarget, Stamps } from "./column-row.js";
import type { ReadPlan } from "./read-plan.js";

/** A cell's status code: its index in `FeatureStatus` order (present, default, expired, missing). */
export const STATUS_PRESENT = 0;
export const STATUS_DEFAULT = 1;
export const STATUS_EXPIRED = 2;
export const STATUS_MISSING = 3;
/** Set on a cell's status byte when `numbers` holds its served value (booleans as 1 / 0). */
export const HAS_NUMBER = 4;
/** The status code of a status byte (without `HAS_NUMBER`). */
export const STATUS_MASK = 3;

/**
 * One group served column-wise for the graph executor: the same values and
 * statuses `FeatureServer.get` serves (TTL enforced, defaults, vectors as
 * `Float32Array`), without ages and without an object per row. Numbers
 * stay unboxed in one `Float64Array`; only features whose type is not a
 * number or flag keep their served values, one array each.
 */
export interface ServedColumns {
  entity: string;
  features: readonly string[];
  keys: readonly string[];
  /** `keys.length × features.length`, row-major: the served value where `status & HAS_NUMBER`. */
  numbers: Float64Array;
  /** Same layout: the status code, plus `HAS_NUMBER`. */
  status: Uint8Array;
  /** Per feature: its served values by row, or `null` for features of a numeric type. */
  values: ((ServedValue | null)[] | null)[];
}

/** A record's `_t` map (each value bin's write time), if it has one. */
export function stampsOf(bins: Bins): Stamps | null {
  const stamps = bins[WRITTEN_AT_BIN];
  return typeof stamps === "object" && !Array.isArray(stamps) && !(stamps instanceof Uint8Array)
    ? stamps
    : null;
}

/** One group being served: the columns written so far and what serving a cell needs. */
export interface ColumnsTarget extends RowTarget {
  readonly plan: ReadPlan;
  readonly values: ((ServedValue | null)[] | null)[];
  readonly arena: VectorArena;
  readonly context: DecodeContext;
}

/**
 * Serves one cell by the general rules (the compiled row server inlines the
 * common case of these, see `compileRowServer`): a value that is absent or
 * of a shape its type cannot have takes the default (`default`, or
 * `missing` without one); a value older than its feature's TTL, or with no
 * write time, is `expired` and takes the default too. `bins` is `null` for
 * an absent record.
 */
export const serveCell: CellServer<ColumnsTarget> = (s, f, stored, bins, stamps, at, r) => {
  const feature = s.plan.features[f] as ReadPlan["features"][number];
  const numbers = s.numbers;
  let code = STATUS_PRESENT;
  let value: ServedValue | null = null;
  let isNumber = false;
  let writtenAt = Number.NaN;
  if (bins !== null) {
    if (feature.valueBin !== null) {
      if (typeof stored === "number") {
        // Kept in `numbers` even if it is not served (a vector cannot hold a bare number).
        numbers[at + f] = stored;
        isNumber = !feature.isVector;
      } else if (stored !== undefined) {
        // `plainValue` (feature-server.ts), inline: calling it served a 200 x 50 mixed-type
        // group 1-2% slower (slower in 8 of 10 interleaved runs).
        value =
          stored instanceof Uint8Array
            ? feature.isVector && stored.byteLength % 4 === 0
              ? s.arena.decode(stored)
              : null
            : feature.isVector
              ? null
              : (stored as ServedValue);
      }
      if (feature.ttlMs !== null && stamps) {
        const stamp = Object.hasOwn(stamps, feature.valueBin)
          ? stamps[feature.valueBin]
          : undefined;
        if (typeof stamp === "number") writtenAt = stamp;
      }
    } else {
      const decoded = decodeFeature(feature.def, bins, s.context);
      value = decoded.value;
      if (decoded.writtenAt !== null) writtenAt = decoded.writtenAt;
    }
  }
  if (!isNumber && value === null) {
    code = feature.defaultValue === null ? STATUS_MISSING : STATUS_DEFAULT;
  } else if (
    feature.ttlMs !== null &&
    (Number.isNaN(writtenAt) || Math.max(0, s.now - writtenAt) > feature.ttlMs)
  ) {
    // No write time means freshness cannot be shown: with a TTL that is expired, not present.
    code = STATUS_EXPIRED;
    isNumber = false;
    value = null;
  }
  if (code !== STATUS_PRESENT) value = feature.defaultValue;
  if (!isNumber && value !== null) {
    if (typeof value === "number") {
      numbers[at + f] = value;
      isNumber = true;
    } else if (typeof value === "boolean") {
      numbers[at + f] = value ? 1 : 0;
      isNumber = true;
    }
  }
  s.status[at + f] = isNumber ? code | HAS_NUMBER : code;
  const column = s.values[f];
  if (column) column[r] = isNumber && value === null ? (numbers[at + f] as number) : value;
};

/**
 * Serves one group's records (`records[r]` for `keys[r]`, `null` = absent)
 * into columns, by the rules of {@link serveCell}: each present record
 * through the plan's compiled row server, each absent one as the plan's
 * absent row (defaults), copied.
 */
export function serveColumns(
  plan: ReadPlan,
  entity: string,
  features: readonly string[],
  keys: readonly string[],
  records: readonly (StoreRecord | null)[],
  context: DecodeContext,
): ServedColumns {
  const n = plan.features.length;
  const rows = keys.length;
  const target: ColumnsTarget = {
    numbers: new Float64Array(rows * n),
    status: new Uint8Array(rows * n),
    now: context.now,
    plan,
    values: plan.numeric.map((numeric) =>
      numeric ? null : new Array<ServedValue | null>(rows).fill(null),
    ),
    arena: new VectorArena(),
    context,
  };
  const absent = plan.absentColumns;
  const serveRow = plan.serveRow;
  // Write times matter only for TTLs (counters read theirs from the bins themselves).
  const needsStamps = plan.needsStamps;
  for (let r = 0; r < rows; r++) {
    const at = r * n;
    const record = records[r];
    if (record) {
      const bins = record.bins;
      serveRow(bins, needsStamps ? stampsOf(bins) : null, target, at, r);
      continue;
    }
    target.numbers.set(absent.numbers, at);
    target.status.set(absent.status, at);
    for (const f of absent.valueColumns) {
      (target.values[f] as (ServedValue | null)[])[r] = plan.absentValues[f] as ServedValue | null;
    }
  }
  const { numbers, status, values } = target;
  return { entity, features, keys, numbers, status, values };
}

/**
 * What {@link serveCell} writes for a feature of an absent record, as a row
 * to copy: the default's number and status byte, and the features whose
 * values column takes the default.
 */
export interface AbsentColumns {
  readonly numbers: Float64Array;
  readonly status: Uint8Array;
  readonly valueColumns: readonly number[];
}

/** The absent row of a feature list (built once per read plan). */
export function absentColumns(
  features: readonly ReadPlan["features"][number][],
  numeric: readonly boolean[],
): AbsentColumns {
  const numbers = new Float64Array(features.length);
  const status = new Uint8Array(features.length);
  features.forEach((feature, f) => {
    const value = feature.defaultValue;
    const code = value === null ? STATUS_MISSING : STATUS_DEFAULT;
    const number =
      typeof value === "number" ? value : typeof value === "boolean" ? Number(value) : null;
    if (number !== null) numbers[f] = number;
    status[f] = number === null ? code : code | HAS_NUMBER;
  });
  return {
    numbers,
    status,
    valueColumns: features.flatMap((_, f) => (numeric[f] ? [] : [f])),
  };
}
