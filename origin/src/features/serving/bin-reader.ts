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
