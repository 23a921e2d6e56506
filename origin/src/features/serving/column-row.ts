import type { BinValue } from "../../store/port.js";
import type { CompiledFeature } from "../registry/registry-snapshot.js";
import { HAS_NUMBER, STATUS_PRESENT } from "./serve-columns.js";

/** A record's `_t` map: each value bin's write time. */
export type Stamps = { readonly [bin: string]: BinValue };

/** Where one row's cells go: `numbers`/`status` at `at + feature`. */
export interface RowTarget {
  readonly numbers: Float64Array;
  readonly status: Uint8Array;
  readonly now: number;
}

/**
 * Serves one cell the general way (any type, any stored shape): `stored` is
 * the feature's value bin as read (`undefined` when absent or for a feature
 * without one, whose bins `from` is read instead).
 */
export type CellServer<T extends RowTarget> = (
  target: T,
  f: number,
  stored: BinValue | undefined,
  from: { readonly [name: string]: BinValue },
  stamps: Stamps | null,
  at: number,
  r: number,
) => void;

/** Serves every cell of one present record into `target` at offset `at` (row `r`). */
export type RowServer<T extends RowTarget> = (
  from: { readonly [name: string]: BinValue },
  stamps: Stamps | null,
  target: T,
  at: number,
  r: number,
) => void;

/** The status byte of a present number. */
const PRESENT_NUMBER = STATUS_PRESENT | HAS_NUMBER;

/**
 * A row server for a fixed feature list, compiled once per read plan
 * (`numeric[f]`: feature `f`'s type is a number or a flag). The
 * common cell, a number or flag of a numeric `value` feature (fresh, when it
 * has a TTL), is written inline: one named property load (cached by V8 for
 * the records' shape, like `compileBinReader`), one typed-array store for
 * the value and one for its status. Every other cell (strings, lists,
 * vectors, counters, absent or expired values, a value of the wrong shape)
 * goes to `cell`, which applies the general rules, so both give the same
 * bytes. Bin names are embedded as JSON string literals, never as code.
 * Names an absent bin would inherit (`constructor`, ...) and places where
 * code generation is not allowed take a loop over `cell` for every feature.
 */
export function compileRowServer<T extends RowTarget>(
  features: readonly CompiledFeature[],
  numeric: readonly boolean[],
  cell: CellServer<T>,
): RowServer<T> {
  const inherits = (name: string | null) => name !== null && name in Object.prototype;
  if (!features.some((f) => inherits(f.valueBin))) {
    const steps = features.map((feature, f) => {
      const bin = feature.valueBin;
      if (bin === null) return `cell(s, ${f}, undefined, from, stamps, at, r);`;
      const name = JSON.stringify(bin);
      if (!numeric[f]) {
        return `cell(s, ${f}, from[${name}], from, stamps, at, r);`;
      }
      // A fresh write time is a number with `now - t` within the TTL (NaN fails both tests, as in `cell`).
      const fresh =
        feature.ttlMs === null
          ? ""
          : ` && stamps !== null && typeof (t = stamps[${name}]) === "number" && Math.max(0, now - t) <= ${String(feature.ttlMs)}`;
      return `v = from[${name}];
if (typeof v === "number"${fresh}) { numbers[at + ${f}] = v; status[at + ${f}] = ${PRESENT_NUMBER}; }
else if (typeof v === "boolean"${fresh}) { numbers[at + ${f}] = v ? 1 : 0; status[at + ${f}] = ${PRESENT_NUMBER}; }
else cell(s, ${f}, v, from, stamps, at, r);`;
    });
    try {
      const make = new Function(
        "cell",
        `return function serveRow(from, stamps, s, at, r) {
const numbers = s.numbers, status = s.status, now = s.now;
let v, t;
${steps.join("\n")}
};`,
      );
      return make(cell) as RowServer<T>;
    } catch {
      // Code generation disallowed: the loop below.
    }
  }
  const bins = features.map((f) => f.valueBin);
  return (from, stamps, s, at, r) => {
    for (let f = 0; f < bins.length; f++) {
      const bin = bins[f];
      const stored = bin != null && Object.hasOwn(from, bin) ? from[bin] : undefined;
      cell(s, f, stored, from, stamps, at, r);
    }
  };
}
