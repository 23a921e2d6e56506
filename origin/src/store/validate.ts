import { type BinsPatch, LIMITS, type Operation, type RecordKey, StoreError } from "./port.js";

const encoder = new TextEncoder();

/** UTF-8 length check, without encoding when the string is surely short enough (hot path: every key). */
function fitsBytes(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return true;
  return encoder.encode(text).length <= limit;
}

/** Namespace/set pairs already checked: there are few of them and every read repeats one. */
const checkedScopes = new Set<string>();

/** The namespace/set pair of the last valid key: a batch repeats one pair for every key. */
let lastNs: string | undefined;
let lastSet: string | undefined;

/** Rejects keys Aerospike would refuse, with the same rule on both adapters. */
export function assertValidKey(key: RecordKey): void {
  if (key.ns !== lastNs || key.set !== lastSet) assertValidScope(key);
  if (typeof key.key !== "string" || key.key.length === 0 || !fitsBytes(key.key, LIMITS.keyBytes)) {
    throw new StoreError("invalid_argument", `key must be 1-${LIMITS.keyBytes} bytes`);
  }
}

function assertValidScope(key: RecordKey): void {
  const scope = `${key.ns}/${key.set}`;
  if (!checkedScopes.has(scope)) {
    if (!key.ns || !fitsBytes(key.ns, LIMITS.namespaceBytes)) {
      throw new StoreError(
        "invalid_argument",
        `namespace must be 1-${LIMITS.namespaceBytes} bytes: "${key.ns}"`,
      );
    }
    if (!key.set || !fitsBytes(key.set, LIMITS.setNameBytes)) {
      throw new StoreError(
        "invalid_argument",
        `set must be 1-${LIMITS.setNameBytes} bytes: "${key.set}"`,
      );
    }
    // Bounded so a caller inventing set names cannot grow it without limit.
    if (checkedScopes.size < 10_000) checkedScopes.add(scope);
  }
  lastNs = key.ns;
  lastSet = key.set;
}

export function assertValidBinName(name: string): void {
  if (!name || !fitsBytes(name, LIMITS.binNameBytes)) {
    throw new StoreError(
      "invalid_argument",
      `bin name must be 1-${LIMITS.binNameBytes} bytes: "${name}"`,
    );
  }
}

export function assertValidBins(bins: BinsPatch): void {
  for (const name of Object.keys(bins)) assertValidBinName(name);
}

export function assertValidTtl(ttl: number | undefined): void {
  if (ttl === undefined || ttl === -1 || ttl === -2) return;
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new StoreError(
      "invalid_argument",
      `ttl must be a positive whole number of seconds, -1 or -2: ${ttl}`,
    );
  }
}

export function assertValidOperations(operations: readonly Operation[]): void {
  if (operations.length === 0)
    throw new StoreError("invalid_argument", "operate needs at least one operation");
  for (const operation of operations) {
    assertValidBinName(operation.bin);
    if (
      (operation.op === "add" || operation.op === "mapAdd") &&
      !Number.isFinite(operation.value)
    ) {
      throw new StoreError(
        "invalid_argument",
        `${operation.op} on "${operation.bin}" needs a finite number`,
      );
    }
    if (operation.op === "mapTrimTop") assertValidTopTrim(operation);
    if (
      operation.op === "listPush" &&
      operation.cap !== undefined &&
      !(Number.isInteger(operation.cap) && operation.cap > 0)
    ) {
      throw new StoreError(
        "invalid_argument",
        `listPush cap must be a positive integer: ${operation.cap}`,
      );
    }
  }
}

/** A `mapTrimTop` keeps 1..above entries of a map over `above`, decayed over a positive half-life. */
function assertValidTopTrim(operation: Extract<Operation, { op: "mapTrimTop" }>): void {
  const { bin, above, keep, halfLifeSeconds, now } = operation;
  if (!(Number.isInteger(keep) && keep > 0 && Number.isInteger(above) && above >= keep)) {
    throw new StoreError(
      "invalid_argument",
      `mapTrimTop on "${bin}" needs whole numbers 0 < keep <= above: keep ${keep}, above ${above}`,
    );
  }
  if (!(Number.isFinite(halfLifeSeconds) && halfLifeSeconds > 0)) {
    throw new StoreError(
      "invalid_argument",
      `mapTrimTop on "${bin}" needs a positive finite halfLifeSeconds: ${halfLifeSeconds}`,
    );
  }
  if (!Number.isFinite(now)) {
    throw new StoreError("invalid_argument", `mapTrimTop on "${bin}" needs a finite now: ${now}`);
  }
}
