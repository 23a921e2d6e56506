import Aerospike from "aerospike";
import { type BinValue, type Operation, StoreError } from "../port.js";

const { operations, lists, maps, Double } = Aerospike;

function number(value: number, float: boolean | undefined) {
  // Aerospike keeps integers and doubles apart; JS cannot, so whole numbers are
  // integers unless the caller says the bin holds doubles.
  return float || !Number.isInteger(value) ? new Double(value) : value;
}

/** Aerospike's wire form of a bin value: non-integer numbers become doubles, bytes Buffers. */
export function toAerospikeValue(value: BinValue): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? value : new Double(value);
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) return value.map(toAerospikeValue);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toAerospikeValue(v);
    return out;
  }
  return value;
}

/** Translates port operations into Aerospike client operations, one or more each. */
export function toAerospikeOperations(ops: readonly Operation[]): Aerospike.operations.Operation[] {
  const out: Aerospike.operations.Operation[] = [];
  for (const op of ops) {
    switch (op.op) {
      case "add":
        out.push(operations.add(op.bin, number(op.value, op.float)));
        break;
      case "put":
        out.push(
          operations.write(
            op.bin,
            op.value === null ? null : (toAerospikeValue(op.value) as never),
          ),
        );
        break;
      case "listPush": {
        const values = op.values.map(toAerospikeValue) as never[];
        if (op.unique) out.push(lists.removeByValueList(op.bin, values));
        out.push(
          op.front ? lists.insertItems(op.bin, 0, values) : lists.appendItems(op.bin, values),
        );
        if (op.cap !== undefined) {
          // "By index range" removals clamp out-of-range indexes, so short lists are left alone.
          out.push(
            op.front
              ? lists.removeByIndexRange(op.bin, op.cap)
              : lists.removeByIndexRange(op.bin, -op.cap).invertSelection(),
          );
        }
        break;
      }
      case "mapPut":
        out.push(maps.put(op.bin, op.key, toAerospikeValue(op.value) as never));
        break;
      case "mapPutItems":
        out.push(maps.putItems(op.bin, toAerospikeValue(op.items) as never));
        break;
      case "mapAdd":
        out.push(maps.increment(op.bin, op.key, number(op.value, op.float) as never));
        break;
      case "mapRemoveBelow":
        // begin null = from the smallest key; end is exclusive.
        out.push(maps.removeByKeyRange(op.bin, null, op.key));
        break;
      case "mapRemoveKeys":
        out.push(maps.removeByKeyList(op.bin, op.keys));
        break;
      case "mapSize":
        out.push(maps.size(op.bin));
        break;
      case "mapTrimTop":
        // Decayed ranking across periods has no map operation here (`supportsTopTrim` is false).
        throw new StoreError(
          "invalid_argument",
          `mapTrimTop on "${op.bin}" is not supported by Aerospike (supportsTopTrim is false)`,
        );
      case "read":
        out.push(operations.read(op.bin));
        break;
    }
  }
  return out;
}
