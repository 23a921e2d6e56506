import { type BinsPatch, LIMITS, type Operation, type RecordKey, StoreError } from "./port.js";

const encoder = new TextEncoder();

function bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Rejects keys Aerospike would refuse, with the same rule on both adapters. */
export function assertValidKey(key: RecordKey): void {
  if (!key.ns || bytes(key.ns) > LIMITS.namespaceBytes) {
    throw new StoreError(
      "invalid_argument",
      `namespace must be 1-${LIMITS.namespaceBytes} bytes: "${key.ns}"`,
    );
  }
  if (!key.set || bytes(key.set) > LIMITS.setNameBytes) {
    throw new StoreError(
      "invalid_argument",
      `set must be 1-${LIMITS.setNameBytes} bytes: "${key.set}"`,
    );
  }
  if (typeof key.key !== "string" || key.key.length === 0 || bytes(key.key) > LIMITS.keyBytes) {
    throw new StoreError("invalid_argument", `key must be 1-${LIMITS.keyBytes} bytes`);
  }
}

export function assertValidBinName(name: string): void {
  if (!name || bytes(name) > LIMITS.binNameBytes) {
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
