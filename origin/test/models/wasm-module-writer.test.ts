import { describe, expect, it } from "vitest";
import {
  FunctionBody,
  signedLeb,
  unsignedLeb,
  writeModule,
} from "../../src/models/branch-free/wasm-module-writer.js";

/** The WebAssembly JS API, which the origin's type set does not declare. */
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
      Instance: new (m: object, i: object) => { exports: Record<string, unknown> };
      Module: new (b: Uint8Array) => object;
    };
  }
).WebAssembly;

describe("WebAssembly module writer", () => {
  it("encodes LEB128 as the spec's examples do", () => {
    expect(unsignedLeb(0)).toEqual([0]);
    expect(unsignedLeb(127)).toEqual([0x7f]);
    expect(unsignedLeb(128)).toEqual([0x80, 0x01]);
    expect(unsignedLeb(624_485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(signedLeb(-1)).toEqual([0x7f]);
    expect(signedLeb(63)).toEqual([0x3f]);
    expect(signedLeb(64)).toEqual([0xc0, 0x00]);
    expect(signedLeb(-64)).toEqual([0x40]);
    expect(signedLeb(-123_456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => unsignedLeb(-1)).toThrow(RangeError);
    expect(() => signedLeb(2 ** 31)).toThrow(RangeError);
  });

  it("writes a module the engine runs: one function over the imported memory", () => {
    // Negates the float32s in [from, to), through a block, a loop and a local.
    const f = new FunctionBody(["i32", "i32"]);
    const [from, to] = [0, 1];
    const x = f.local("f32");
    f.block().get(from).get(to).geU().brIf(0);
    f.loop();
    f.get(from).get(from).load("f32").neg("f32").tee(x).store("f32");
    f.get(from).i32(4).add().set(from);
    f.get(from).get(to).ltU().brIf(0);
    f.end().end();
    const memory = new wasm.Memory({ initial: 1 });
    const module = new wasm.Module(writeModule([["negate", f]]));
    const negate = new wasm.Instance(module, { env: { memory } }).exports.negate as (
      a: number,
      b: number,
    ) => void;
    const values = new Float32Array(memory.buffer, 0, 4);
    values.set([1.5, -2, 0, Number.NaN]);
    negate(0, 12);
    expect(Array.from(values)).toEqual([-1.5, 2, -0, Number.NaN]);
  });
});
