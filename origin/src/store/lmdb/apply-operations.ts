import { DecayedScores, plainTopDrops } from "../decayed-top-rank.js";
import { type Bins, type BinValue, type Operation, StoreError } from "../port.js";
import { WritableNumberMap } from "./writable-number-map.js";

function sameValue(a: BinValue, b: BinValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

function isMap(value: BinValue | undefined): value is { [key: string]: BinValue } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

function mismatch(operation: Operation, expected: string): StoreError {
  return new StoreError(
    "bin_type_mismatch",
    `${operation.op} on bin "${operation.bin}" needs a ${expected}`,
  );
}

/**
 * Applies `operate` steps to a record's bins in memory (mutating `bins`), with
 * Aerospike's semantics, and returns what the `read` steps saw. Throws
 * `StoreError` before the caller writes anything if a step does not fit a bin.
 */
export function applyOperations(bins: Bins, operations: readonly Operation[]): Bins {
  const reads: Bins = {};
  for (const operation of operations) {
    let current = bins[operation.bin];
    if (operation.op !== "put" && (current as unknown) instanceof WritableNumberMap) {
      const map = current as unknown as WritableNumberMap;
      if (applyToNumberMap(map, operation, reads)) continue;
      // Not a change the block map makes itself: from here on the bin is a plain object.
      current = map.toPlainObject();
      bins[operation.bin] = current;
    }
    switch (operation.op) {
      case "add": {
        if (current !== undefined && typeof current !== "number")
          throw mismatch(operation, "number");
        bins[operation.bin] = (current ?? 0) + operation.value;
        break;
      }
      case "put": {
        if (operation.value === null) delete bins[operation.bin];
        else bins[operation.bin] = operation.value;
        break;
      }
      case "listPush": {
        if (current !== undefined && !Array.isArray(current)) throw mismatch(operation, "list");
        let list = current ?? [];
        if (operation.unique) {
          list = list.filter((item) => !operation.values.some((value) => sameValue(item, value)));
        }
        list = operation.front ? [...operation.values, ...list] : [...list, ...operation.values];
        const cap = operation.cap;
        if (cap !== undefined && list.length > cap) {
          list = operation.front ? list.slice(0, cap) : list.slice(list.length - cap);
        }
        bins[operation.bin] = list;
        break;
      }
      case "mapPut":
      case "mapAdd": {
        if (current !== undefined && !isMap(current)) throw mismatch(operation, "map");
        const map = current ?? {};
        if (operation.op === "mapPut") {
          map[operation.key] = operation.value;
        } else {
          const entry = map[operation.key];
          if (entry !== undefined && typeof entry !== "number")
            throw mismatch(operation, "map of numbers");
          map[operation.key] = (entry ?? 0) + operation.value;
        }
        bins[operation.bin] = map;
        break;
      }
      case "mapPutItems": {
        if (current !== undefined && !isMap(current)) throw mismatch(operation, "map");
        bins[operation.bin] = Object.assign(current ?? {}, operation.items);
        break;
      }
      case "mapRemoveBelow": {
        if (current === undefined) break;
        if (!isMap(current)) throw mismatch(operation, "map");
        for (const key of Object.keys(current)) {
          if (key < operation.key) delete current[key];
        }
        break;
      }
      case "mapRemoveKeys": {
        if (current === undefined) break;
        if (!isMap(current)) throw mismatch(operation, "map");
        for (const key of operation.keys) delete current[key];
        break;
      }
      case "mapTrimTop": {
        if (current === undefined) break;
        if (!isMap(current)) throw mismatch(operation, "map");
        const { above, keep, halfLifeSeconds, now } = operation;
        const drop = plainTopDrops(current, above, keep, halfLifeSeconds, now);
        if (drop) for (const key of drop) delete current[key];
        break;
      }
      case "mapSize": {
        if (current !== undefined && !isMap(current)) throw mismatch(operation, "map");
        reads[operation.bin] = current === undefined ? 0 : Object.keys(current).length;
        break;
      }
      case "read": {
        if (current !== undefined) reads[operation.bin] = current;
        break;
      }
    }
  }
  return reads;
}

/**
 * A key whose plain-object lookup would find an inherited `Object.prototype`
 * member. Data keys start with a digit, and no member's name does: they skip
 * the `in` test, which interns the key string first.
 */
function inherited(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return false;
  return key in Object.prototype;
}

/**
 * Applies `operation` to a block number map in place, as `applyOperations`
 * would to its plain object; returns false (changing nothing) for steps it
 * leaves to the plain object: list pushes and other type errors, non-number
 * values, keys the block cannot hold or a plain object would resolve
 * through its prototype.
 */
function applyToNumberMap(map: WritableNumberMap, operation: Operation, reads: Bins): boolean {
  switch (operation.op) {
    case "mapAdd": {
      if (inherited(operation.key) && map.get(operation.key) === undefined) return false;
      return map.add(operation.key, operation.value);
    }
    case "mapPut": {
      if (typeof operation.value !== "number") return false;
      if (inherited(operation.key) && map.get(operation.key) === undefined) return false;
      return map.set(operation.key, operation.value);
    }
    case "mapRemoveKeys": {
      for (const key of operation.keys) map.delete(key);
      return true;
    }
    case "mapRemoveBelow": {
      map.removeBelow(operation.key);
      return true;
    }
    case "mapTrimTop": {
      // Most writes leave the map within its bound: no scorer for them.
      if (map.size <= operation.above) return true;
      const { above, keep, halfLifeSeconds, now } = operation;
      map.trimTop(above, keep, new DecayedScores(now, halfLifeSeconds));
      return true;
    }
    case "mapSize": {
      reads[operation.bin] = map.size;
      return true;
    }
    case "read": {
      // The caller's own copy, as a freshly decoded record's map would be.
      reads[operation.bin] = map.toPlainObject();
      return true;
    }
    default:
      return false;
  }
}
