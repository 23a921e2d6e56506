import Aerospike from "aerospike";
import { StoreError } from "../port.js";

const { status } = Aerospike;

function codeOf(error: unknown): number | undefined {
  return typeof error === "object" &&
    error !== null &&
    "code" in error &&
    typeof error.code === "number"
    ? error.code
    : undefined;
}

export function isNotFound(error: unknown): boolean {
  return codeOf(error) === status.ERR_RECORD_NOT_FOUND;
}

/** The client gave up waiting (its own total timeout), as opposed to a server-side error. */
export function isClientTimeout(error: unknown): boolean {
  return codeOf(error) === status.ERR_TIMEOUT;
}

/** Maps the client's status codes onto the port's stable error codes. */
export function toStoreError(error: unknown, context: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = codeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const message = `${context}: ${detail}`;
  switch (code) {
    case status.ERR_RECORD_GENERATION:
    case status.ERR_RECORD_EXISTS:
    case status.ERR_RECORD_NOT_FOUND:
      return new StoreError("generation_conflict", message, { cause: error });
    case status.ERR_BIN_INCOMPATIBLE_TYPE:
    case status.ERR_OP_NOT_APPLICABLE:
      return new StoreError("bin_type_mismatch", message, { cause: error });
    case status.ERR_RECORD_TOO_BIG:
      return new StoreError("record_too_big", message, { cause: error });
    case status.ERR_REQUEST_INVALID:
    case status.ERR_PARAM:
    case status.ERR_BIN_NAME:
    case status.ERR_NAMESPACE_NOT_FOUND:
      return new StoreError("invalid_argument", message, { cause: error });
    case status.ERR_TIMEOUT:
    case status.ERR_MAX_RETRIES_EXCEEDED:
      return new StoreError("timeout", message, { cause: error });
    default:
      return new StoreError("unavailable", message, { cause: error });
  }
}
