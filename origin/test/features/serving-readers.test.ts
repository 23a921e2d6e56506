import { describe, expect, it } from "vitest";
import { compileBinReader, compileStampReader } from "../../src/features/serving/bin-reader.js";
import { encodeVector, VectorArena } from "../../src/features/values.js";

describe("compiled bin readers", () => {
  it("reads each named bin by position, leaving null positions alone and absent bins undefined", () => {
    const read = compileBinReader(["b", null, "a", "missing"]);
    const out: unknown[] = ["keep", "keep", "keep", "keep"];
    read({ a: 1, b: "two" }, out as never[]);
    expect(out).toEqual(["two", "keep", 1, undefined]);
    // Reused for another record of another shape: every named position is overwritten.
    read({ a: [3], c: true }, out as never[]);
    expect(out).toEqual([undefined, "keep", [3], undefined]);
  });

  it("never reads inherited properties for bins named like Object.prototype members", () => {
    const read = compileBinReader(["constructor", "toString", "f0"]);
    const out: unknown[] = [];
    read({ f0: 5 }, out as never[]);
    expect(out).toEqual([undefined, undefined, 5]);
    read({ constructor: 1, f0: 6 } as never, out as never[]);
    expect(out).toEqual([1, undefined, 6]);
  });
});

describe("compiled stamp reader", () => {
  it("reads write times as numbers, NaN where absent or not a number, never inherited", () => {
    const read = compileStampReader(["x", "constructor", null, "y"]);
    const out = new Float64Array(4).fill(7);
    read({ x: 1_800_000_000_123, y: "late" }, out);
    expect(Array.from(out)).toEqual([1_800_000_000_123, Number.NaN, 7, Number.NaN]);
  });
});

describe("vector arena", () => {
  it("decodes many vectors into shared chunks without any two overlapping", () => {
    const arena = new VectorArena();
    const inputs = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 1 + (i % 40) }, (_, j) => i + j / 64),
    );
    // Stored bytes at odd offsets, as a view into a bigger buffer may be.
    const decoded = inputs.map((values) => {
      const bytes = encodeVector(values);
      const padded = new Uint8Array(bytes.length + 3);
      padded.set(bytes, 3);
      return arena.decode(padded.subarray(3));
    });
    decoded.forEach((vector, i) => {
      expect(Array.from(vector)).toEqual(Array.from(Float32Array.from(inputs[i] as number[])));
    });
    // Writing one served vector (they are read-only, but a bug would show here) leaves the rest alone.
    (decoded[0] as Float32Array).fill(-1);
    expect(Array.from(decoded[1] as Float32Array)).toEqual(
      Array.from(Float32Array.from(inputs[1] as number[])),
    );
  });

  it("gives a vector longer than a chunk its own array", () => {
    const arena = new VectorArena();
    const long = Array.from({ length: 20_000 }, (_, j) => j);
    expect(Array.from(arena.decode(encodeVector(long)))).toEqual(long);
  });
});
