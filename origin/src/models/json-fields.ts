import type { ModelFormat } from "./model.js";
import { ModelFormatError } from "./model-format-error.js";

/**
 * Typed access to an untrusted parsed JSON document that throws a
 * {@link ModelFormatError} naming the exact path on the first surprise.
 * Hand-written rather than a zod schema because tree arrays hold tens of
 * thousands of numbers and the checks that matter (lengths agree, children in
 * range) are relational.
 */
export class JsonFields {
  constructor(private readonly format: ModelFormat) {}

  fail(path: string, problem: string): never {
    throw new ModelFormatError(this.format, path, problem);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, `expected an object, got ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  }

  field(parent: Record<string, unknown>, key: string, path: string): unknown {
    if (!(key in parent)) this.fail(join(path, key), "missing");
    return parent[key];
  }

  objectField(parent: Record<string, unknown>, key: string, path: string) {
    return this.object(this.field(parent, key, path), join(path, key));
  }

  string(value: unknown, path: string): string {
    if (typeof value !== "string") this.fail(path, `expected a string, got ${describe(value)}`);
    return value;
  }

  /** XGBoost writes most scalar parameters as strings ("3", "5E-1"); accepts both. */
  numberLike(value: unknown, path: string): number {
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n)) {
      this.fail(path, `expected a finite number, got ${describe(value)}`);
    }
    return n;
  }

  intLike(value: unknown, path: string, min = 0): number {
    const n = this.numberLike(value, path);
    if (!Number.isInteger(n) || n < min) this.fail(path, `expected an integer ≥ ${min}, got ${n}`);
    return n;
  }

  /** An array of finite numbers (or 0/1 booleans when `booleans`), with an exact length if given. */
  numbers(
    value: unknown,
    path: string,
    options: { length?: number; integer?: boolean; booleans?: boolean; nullAsNaN?: boolean } = {},
  ): number[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describe(value)}`);
    if (options.length !== undefined && value.length !== options.length) {
      this.fail(path, `expected ${options.length} entries, got ${value.length}`);
    }
    const out = new Array<number>(value.length);
    for (let i = 0; i < value.length; i++) {
      let v: unknown = value[i];
      if (options.booleans && typeof v === "boolean") v = v ? 1 : 0;
      if (options.nullAsNaN && v === null) {
        out[i] = Number.NaN;
        continue;
      }
      if (
        typeof v !== "number" ||
        !Number.isFinite(v) ||
        (options.integer && !Number.isInteger(v))
      ) {
        this.fail(
          `${path}[${i}]`,
          `expected ${options.integer ? "an integer" : "a finite number"}, got ${describe(v)}`,
        );
      }
      out[i] = v;
    }
    return out;
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === "object") return "an object";
  return String(value);
}
