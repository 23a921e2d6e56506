import { describe, expect, it } from "vitest";
import type { CompiledFeature } from "../../src/features/registry/registry-snapshot.js";
import { type CellServer, compileRowServer } from "../../src/features/serving/column-row.js";
import { HAS_NUMBER, STATUS_PRESENT } from "../../src/features/serving/serve-columns.js";

/** Only what the row server reads of a feature: its value bin and TTL. */
const feature = (valueBin: string | null, ttlMs: number | null = null) =>
  ({ valueBin, ttlMs }) as CompiledFeature;

/** A target, and a cell server that records what it was handed instead of serving it. */
function recorder(width: number) {
  const calls: [number, unknown][] = [];
  const target = {
    numbers: new Float64Array(width).fill(-1),
    status: new Uint8Array(width).fill(9),
    now: 1_000_000,
  };
  const cell: CellServer<typeof target> = (_, f, stored) => {
    calls.push([f, stored]);
  };
  return { calls, target, cell };
}

describe("compiled row server", () => {
  it("writes fresh numbers and flags inline and hands every other cell to the general rules", () => {
    const { calls, target, cell } = recorder(8);
    const serve = compileRowServer(
      [feature("a"), feature("b"), feature("c"), feature(null), feature("d", 1_000)],
      [true, true, false, true, true],
      cell,
    );
    // Row at offset 3: a number, a flag, a string, a counter, and a number too old for its TTL.
    serve({ a: 1.5, b: true, c: "s", d: 2 }, { d: 1_000_000 - 5_000 }, target, 3, 0);
    expect(Array.from(target.numbers.subarray(3, 5))).toEqual([1.5, 1]);
    expect(Array.from(target.status.subarray(3, 5))).toEqual([
      STATUS_PRESENT | HAS_NUMBER,
      STATUS_PRESENT | HAS_NUMBER,
    ]);
    expect(calls).toEqual([
      [2, "s"],
      [3, undefined],
      [4, 2],
    ]);
  });

  it("never hands a cell a value inherited from Object.prototype (the loop it takes for such names)", () => {
    const { calls, target, cell } = recorder(2);
    const serve = compileRowServer([feature("constructor"), feature("f")], [true, true], cell);
    serve({ f: 3 }, null, target, 0, 0);
    serve({ constructor: 4, f: 5 } as never, null, target, 0, 1);
    // The loop serves every cell by the general rules: nothing written inline.
    expect(calls).toEqual([
      [0, undefined],
      [1, 3],
      [0, 4],
      [1, 5],
    ]);
    expect(Array.from(target.status)).toEqual([9, 9]);
  });
});
