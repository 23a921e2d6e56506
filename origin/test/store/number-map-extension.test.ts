import { describe, expect, it } from "vitest";
import { NumberMap, withNumberMaps } from "../../src/store/lmdb/number-map-extension.js";

describe("which maps take the number-map block encoding", () => {
  const map = (count: number, keyOf: (i: number) => string) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [keyOf(i), 1_800_000_000_000 + i]));

  it("wraps large maps keyed by data, leaves maps keyed by bin names as they are", () => {
    // A wide feature record's `_t`: write times under its bin names (a fixed shape msgpackr shares).
    const stamps = map(40, (i) => `f${i}`);
    // A window counter's buckets and a decayed top's period:key members: keyed by data.
    const buckets = map(20, (i) => String(5_000_000 + i).padStart(10, "0"));
    const top = map(20, (i) => `0000000042:item-${i}`);
    const bins = withNumberMaps({ _t: stamps, b: buckets, top, n: 3 });
    expect(bins._t).toBe(stamps);
    expect(bins.b).toBeInstanceOf(NumberMap);
    expect(bins.top).toBeInstanceOf(NumberMap);
    expect(bins.n).toBe(3);
    // Nothing to wrap: the very same bins object.
    const plain = { _t: stamps, n: 1 };
    expect(withNumberMaps(plain)).toBe(plain);
  });
});
