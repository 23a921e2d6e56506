import type { BinValue } from "../../store/port.js";

/** Copies named properties of one object into `out` by position (`undefined` where absent). */
export type BinReader = (
  from: { readonly [name: string]: BinValue },
  out: (BinValue | undefined)[],
) => void;

/**
 * A reader of a fixed list of bins (`null` entries are skipped), compiled
 * once per read plan. Reading `bins[name]` with a different `name` in every
 * step of a loop is a megamorphic keyed load (≈ 30 ns each, 10,000 per
 * 100 × 50 request for values and write times); the compiled reader names
 * each property in its source, so V8 caches each load for the records'
 * shape and the whole record reads in a few ns per bin. The names come from
 * the registry and are embedded as JSON string literals, never as code.
 * Falls back to the plain loop where code generation is not allowed.
 */
export function compileBinReader(names: readonly (string | null)[]): BinReader {
  // Names an absent bin would inherit (`constructor`, `__proto__`, ...) go through the own-property loop.
  if (!names.some((name) => name !== null && name in Object.prototype)) {
    const steps = names.map((name, i) =>
      name === null ? "" : `out[${i}] = from[${JSON.stringify(name)}];`,
    );
    try {
      return new Function("from", "out", steps.join("\n")) as BinReader;
    } catch {
      // Code generation disallowed: the loop below.
    }
  }
  return (from, out) => {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name != null) out[i] = Object.hasOwn(from, name) ? from[name] : undefined;
    }
  };
}

/** Marks a position whose bin held a number: the number itself went to the `Float64Array`. */
export const NUMBER_READ = Symbol("number read");

/**
 * Like a {@link BinReader}, but numbers go into `numbers[at + i]` and leave
 * `NUMBER_READ` at `out[i]`; any other value (or `undefined`) goes to `out[i]`.
 */
export type NumberBinReader = (
  from: { readonly [name: string]: BinValue },
  numbers: Float64Array,
  at: number,
  out: (BinValue | typeof NUMBER_READ | undefined)[],
) => void;

/**
 * A reader of a fixed list of bins that keeps numbers unboxed. msgpackr
 * stores a float bin in a double field of the decoded object, and reading
 * it into a plain array boxes it into a new 16-byte heap number (one per
 * float, per record: most of what a ranking read allocated besides
 * decoding). Written into a `Float64Array` it stays a raw double. Compiled
 * like `compileBinReader`, with the same fallback.
 */
export function compileNumberBinReader(names: readonly (string | null)[]): NumberBinReader {
  if (!names.some((name) => name !== null && name in Object.prototype)) {
    const steps = names.map((name, i) =>
      name === null
        ? ""
        : `v = from[${JSON.stringify(name)}];
if (typeof v === "number") { numbers[at + ${i}] = v; out[${i}] = mark; } else out[${i}] = v;`,
    );
    try {
      const make = new Function(
        "mark",
        `return function read(from, numbers, at, out) {\nlet v;\n${steps.join("\n")}\n};`,
      );
      return make(NUMBER_READ) as NumberBinReader;
    } catch {
      // Code generation disallowed: the loop below.
    }
  }
  return (from, numbers, at, out) => {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name == null) continue;
      const v = Object.hasOwn(from, name) ? from[name] : undefined;
      if (typeof v === "number") {
        numbers[at + i] = v;
        out[i] = NUMBER_READ;
      } else out[i] = v;
    }
  };
}

/** Reads write times (`_t` entries) by position into a `Float64Array`; `NaN` where none is a number. */
export type StampReader = (from: { readonly [name: string]: BinValue }, out: Float64Array) => void;

/**
 * The write-time reader of a plan (`null` entries are skipped): epoch-ms
 * stamps are doubles, so a plain array would box every one of them.
 */
export function compileStampReader(names: readonly (string | null)[]): StampReader {
  if (!names.some((name) => name !== null && name in Object.prototype)) {
    const steps = names.map((name, i) =>
      name === null
        ? ""
        : `v = from[${JSON.stringify(name)}]; out[${i}] = typeof v === "number" ? v : NaN;`,
    );
    try {
      return new Function("from", "out", `let v;\n${steps.join("\n")}`) as StampReader;
    } catch {
      // Code generation disallowed: the loop below.
    }
  }
  return (from, out) => {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name == null) continue;
      const v = Object.hasOwn(from, name) ? from[name] : undefined;
      out[i] = typeof v === "number" ? v : Number.NaN;
    }
  };
}
