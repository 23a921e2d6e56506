/**
 * The few pieces of the WebAssembly binary format (core spec 1.0, §5) the
 * tree kernel needs: LEB128 numbers, a function body builder with named
 * instructions, and a module of one imported memory plus exported
 * functions. Small on purpose, so the kernel's module is written at model
 * load from readable TypeScript instead of being a committed binary.
 */

export type ValueType = "i32" | "f32" | "f64";

const VALUE_TYPE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c };

/** Unsigned LEB128 (§5.2.2). */
export function unsignedLeb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`not a u32: ${value}`);
  }
  const bytes: number[] = [];
  let v = value;
  do {
    const low = v % 128;
    v = Math.floor(v / 128);
    bytes.push(v > 0 ? low | 0x80 : low);
  } while (v > 0);
  return bytes;
}

/** Signed LEB128 of an i32 (§5.2.2). */
export function signedLeb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
    throw new RangeError(`not an i32: ${value}`);
  }
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    const low = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (low & 0x40) === 0) || (v === -1 && (low & 0x40) !== 0);
    bytes.push(done ? low : low | 0x80);
    if (done) return bytes;
  }
}

function name(text: string): number[] {
  const utf8 = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(utf8.length), ...utf8];
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsignedLeb(body.length), ...body];
}

/** Natural alignment (log2 of the access size) for each load/store. */
const ALIGN = { i32: 2, f32: 2, f64: 3 } as const;
const LOAD = { i32: 0x28, f32: 0x2a, f64: 0x2b } as const;
const STORE = { i32: 0x36, f32: 0x38, f64: 0x39 } as const;

/**
 * A function body, written instruction by instruction. Locals are numbered
 * after the parameters in the order {@link local} declares them.
 */
export class FunctionBody {
  readonly #params: ValueType[];
  readonly #locals: ValueType[] = [];
  readonly #code: number[] = [];

  constructor(params: ValueType[]) {
    this.#params = params;
  }

  get params(): readonly ValueType[] {
    return this.#params;
  }

  /** Declares a local and returns its index. */
  local(type: ValueType): number {
    this.#locals.push(type);
    return this.#params.length + this.#locals.length - 1;
  }

  get(index: number): this {
    return this.#op(0x20, ...unsignedLeb(index));
  }
  set(index: number): this {
    return this.#op(0x21, ...unsignedLeb(index));
  }
  tee(index: number): this {
    return this.#op(0x22, ...unsignedLeb(index));
  }
  i32(value: number): this {
    return this.#op(0x41, ...signedLeb(value));
  }
  /** Loads from the address on the stack plus a constant byte `offset`. */
  load(type: ValueType, offset = 0): this {
    return this.#op(LOAD[type], ALIGN[type], ...unsignedLeb(offset));
  }
  /** Stores (address, value) at address + `offset`. */
  store(type: ValueType, offset = 0): this {
    return this.#op(STORE[type], ALIGN[type], ...unsignedLeb(offset));
  }

  // i32 arithmetic and comparisons (unsigned: the operands are addresses).
  add(): this {
    return this.#op(0x6a);
  }
  sub(): this {
    return this.#op(0x6b);
  }
  mul(): this {
    return this.#op(0x6c);
  }
  and(): this {
    return this.#op(0x71);
  }
  ltU(): this {
    return this.#op(0x49);
  }
  geU(): this {
    return this.#op(0x4f);
  }

  // Float comparison (1 or 0), negation, addition and conversions.
  le(type: "f32" | "f64"): this {
    return this.#op(type === "f32" ? 0x5f : 0x65);
  }
  neg(type: "f32" | "f64"): this {
    return this.#op(type === "f32" ? 0x8c : 0x9a);
  }
  f64Add(): this {
    return this.#op(0xa0);
  }
  /** f64 → f32, round to nearest even: what `Math.fround` does. */
  demote(): this {
    return this.#op(0xb6);
  }
  /** f32 → f64, exact. */
  promote(): this {
    return this.#op(0xbb);
  }

  // Structured control flow; branch depths count enclosing blocks, innermost 0.
  block(): this {
    return this.#op(0x02, 0x40);
  }
  loop(): this {
    return this.#op(0x03, 0x40);
  }
  end(): this {
    return this.#op(0x0b);
  }
  brIf(depth: number): this {
    return this.#op(0x0d, ...unsignedLeb(depth));
  }

  /** The encoded body (§5.5.13): locals in runs of one type, code, final `end`. */
  encode(): number[] {
    const runs: number[][] = [];
    for (const type of this.#locals) {
      const last = runs.at(-1);
      if (last && last[1] === VALUE_TYPE[type]) last[0] = (last[0] as number) + 1;
      else runs.push([1, VALUE_TYPE[type]]);
    }
    const body = [
      ...vector(runs.map(([count, type]) => [...unsignedLeb(count as number), type as number])),
      ...this.#code,
      0x0b,
    ];
    return [...unsignedLeb(body.length), ...body];
  }

  #op(...bytes: number[]): this {
    for (const b of bytes) this.#code.push(b);
    return this;
  }
}

/**
 * A module importing one memory as `env.memory` and exporting `functions`
 * (each with no results) by name.
 */
export function writeModule(functions: ReadonlyArray<[string, FunctionBody]>): Uint8Array {
  const types = functions.map(([, f]) => [
    0x60,
    ...vector(f.params.map((p) => [VALUE_TYPE[p]])),
    ...vector([]),
  ]);
  const memoryImport = [...name("env"), ...name("memory"), 0x02, 0x00, ...unsignedLeb(0)];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d], // "\0asm"
    ...[0x01, 0x00, 0x00, 0x00], // version 1
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => unsignedLeb(i)))),
    ...section(7, vector(functions.map(([n], i) => [...name(n), 0x00, ...unsignedLeb(i)]))),
    ...section(10, vector(functions.map(([, f]) => f.encode()))),
  ]);
}
