import type { Bins, BinValue, StoreRecord } from "../../store/port.js";
import { WRITTEN_AT_BIN } from "../layout.js";
import { type DecodeContext, decodeFeature } from "../storage-read.js";
import { type ServedValue, VectorArena } from "../values.js";
import { NUMBER_READ } from "./bin-reader.js";
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

type Stamps = { [bin: string]: BinValue };

/** A record's `_t` map (each value bin's write time), if it has one. */
export function stampsOf(bins: Bins): Stamps | null {
  const stamps = bins[WRITTEN_AT_BIN];
  return typeof stamps === "object" && !Array.isArray(stamps) && !(stamps instanceof Uint8Array)
    ? stamps
    : null;
}

/** Scratch reused across groups: sized to the widest plan seen, never shared across an await. */
let scratchOut: (BinValue | typeof NUMBER_READ | undefined)[] = [];
let scratchStamps = new Float64Array(0);

/**
 * Serves one group's records (`records[r]` for `keys[r]`, `null` = absent)
 * into columns. Same rules as the row read: a value that is absent or of
 * a shape its type cannot have takes the default (`default`, or `missing`
 * without one); a value older than its feature's TTL, or with no write
 * time, is `expired` and takes the default too.
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
  const numbers = new Float64Array(rows * n);
  const status = new Uint8Array(rows * n);
  const values = plan.numeric.map((numeric) =>
    numeric ? null : new Array<ServedValue | null>(rows).fill(null),
  );
  if (scratchOut.length < n) {
    scratchOut = new Array(n).fill(undefined);
    scratchStamps = new Float64Array(n);
  }
  const out = scratchOut;
  const stampsAt = scratchStamps;
  const arena = new VectorArena();
  const now = context.now;
  for (let r = 0; r < rows; r++) {
    const at = r * n;
    const record = records[r];
    const bins = record ? record.bins : null;
    let stamps: Stamps | null = null;
    if (bins !== null) {
      plan.readNumbers(bins, numbers, at, out);
      stamps = stampsOf(bins);
      if (stamps) plan.readTtlStamps(stamps, stampsAt);
    }
    for (let f = 0; f < n; f++) {
      const feature = plan.features[f] as ReadPlan["features"][number];
      let code = STATUS_PRESENT;
      let value: ServedValue | null = null;
      let isNumber = false;
      let writtenAt = Number.NaN;
      if (bins !== null) {
        if (feature.valueBin !== null) {
          const stored = out[f];
          if (stored === NUMBER_READ) {
            // Already in `numbers`; a vector feature cannot hold a bare number.
            isNumber = !feature.isVector;
          } else if (stored !== undefined) {
            value =
              stored instanceof Uint8Array
                ? feature.isVector && stored.byteLength % 4 === 0
                  ? arena.decode(stored)
                  : null
                : feature.isVector
                  ? null
                  : (stored as ServedValue);
          }
          if (feature.ttlMs !== null && stamps) writtenAt = stampsAt[f] as number;
        } else {
          const decoded = decodeFeature(feature.def, bins, context);
          value = decoded.value;
          if (decoded.writtenAt !== null) writtenAt = decoded.writtenAt;
        }
      }
      if (!isNumber && value === null) {
        code = feature.defaultValue === null ? STATUS_MISSING : STATUS_DEFAULT;
      } else if (
        feature.ttlMs !== null &&
        (Number.isNaN(writtenAt) || Math.max(0, now - writtenAt) > feature.ttlMs)
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
      status[at + f] = isNumber ? code | HAS_NUMBER : code;
      const column = values[f];
      if (column) column[r] = isNumber && value === null ? (numbers[at + f] as number) : value;
    }
  }
  return { entity, features, keys, numbers, status, values };
}
