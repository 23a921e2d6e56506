import type { ErrorCode } from "#shared/api/errors";
import {
  type EntityDefinition,
  type FeatureDefinition,
  FeatureDefinitionInput,
  type FeatureValue,
} from "#shared/features/definitions";
import type { RegistryDocument } from "#shared/features/registry-document";
import { describeZodIssues } from "#shared/http/api-error";
import { SYSTEM_ENTITIES, SYSTEM_FEATURES } from "../system-features.js";

/**
 * Pure changes to the registry document: each takes the current document and
 * returns the next one, or a refusal that says exactly what is wrong. The
 * registry applies them under a generation check and retries on conflict.
 */
export type ChangeResult<T> =
  | { ok: true; doc: RegistryDocument; value: T }
  | { ok: false; code: ErrorCode; message: string };

function refuse(code: ErrorCode, message: string): { ok: false; code: ErrorCode; message: string } {
  return { ok: false, code, message };
}

const systemEntityNames = new Set(SYSTEM_ENTITIES.map((e) => e.name));

function findEntity(doc: RegistryDocument, name: string): EntityDefinition | undefined {
  return SYSTEM_ENTITIES.find((e) => e.name === name) ?? doc.entities.find((e) => e.name === name);
}

function isSystemFeature(entity: string, name: string): boolean {
  return SYSTEM_FEATURES.some((f) => f.entity === entity && f.name === name);
}

/** User feature bins: "f" + base 36, at most 4 characters (Aerospike bin names stay short). */
export function binFor(counter: number): string {
  const bin = `f${counter.toString(36)}`;
  if (bin.length > 4) throw new Error("feature bin space exhausted");
  return bin;
}

/** Why `value` does not fit `type` (with `dim` for vectors), or null when it fits. */
export function valueProblem(
  value: unknown,
  type: FeatureDefinition["type"],
  dim: number | undefined,
): string | null {
  switch (type) {
    case "int":
      return Number.isSafeInteger(value) ? null : "expected a whole number";
    case "float":
      return typeof value === "number" && Number.isFinite(value) ? null : "expected a number";
    case "bool":
      return typeof value === "boolean" ? null : "expected true or false";
    case "string":
      return typeof value === "string" ? null : "expected a string";
    case "string_list":
      return Array.isArray(value) && value.every((v) => typeof v === "string")
        ? null
        : "expected a list of strings";
    case "vector":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "number" && Number.isFinite(v)))
        return "expected a list of numbers";
      return value.length === dim ? null : `expected ${dim} numbers, got ${value.length}`;
    case "map":
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return "expected an object of string -> number";
      return Object.values(value).every((v) => typeof v === "number" && Number.isFinite(v))
        ? null
        : "expected an object of string -> number";
  }
}

export function putEntity(
  doc: RegistryDocument,
  input: EntityDefinition,
): ChangeResult<EntityDefinition> {
  if (systemEntityNames.has(input.name)) {
    return refuse(
      "conflict",
      `entity "${input.name}" is built in and cannot be changed or redeclared`,
    );
  }
  const existing = doc.entities.find((e) => e.name === input.name);
  if (existing && existing.keyParts.join("|") !== input.keyParts.join("|")) {
    const users = doc.features.filter((f) => f.entity === input.name).map((f) => f.name);
    if (users.length > 0) {
      return refuse(
        "conflict",
        `entity "${input.name}" key parts cannot change from [${existing.keyParts.join(", ")}] to [${input.keyParts.join(", ")}] while features use it (${users.join(", ")}): stored keys would no longer match`,
      );
    }
  }
  const entities = existing
    ? doc.entities.map((e) => (e.name === input.name ? input : e))
    : [...doc.entities, input];
  return { ok: true, doc: { ...doc, version: doc.version + 1, entities }, value: input };
}

/** Type changes that keep stored values readable: an int is a valid float. */
function compatibleTypeChange(from: FeatureDefinition["type"], to: FeatureDefinition["type"]) {
  return from === to || (from === "int" && to === "float");
}

export function putFeature(
  doc: RegistryDocument,
  raw: unknown,
  now: number,
): ChangeResult<FeatureDefinition> {
  const parsed = FeatureDefinitionInput.safeParse(raw);
  if (!parsed.success) return refuse("invalid_parameter", describeZodIssues(parsed.error));
  const input = parsed.data;
  const label = `${input.entity}.${input.name}`;
  if (!findEntity(doc, input.entity)) {
    return refuse(
      "invalid_parameter",
      `entity: unknown entity "${input.entity}" (declare it with PUT /admin/entities/${input.entity} first)`,
    );
  }
  if (isSystemFeature(input.entity, input.name)) {
    return refuse(
      "conflict",
      `feature ${label} is a built-in real-time feature: it cannot be changed or shadowed`,
    );
  }
  if (input.type === "vector" && input.dim === undefined) {
    return refuse("invalid_parameter", `dim: a vector feature needs "dim" (its number of floats)`);
  }
  if (input.type !== "vector" && input.dim !== undefined) {
    return refuse(
      "invalid_parameter",
      `dim: only vector features have "dim" (type is ${input.type})`,
    );
  }
  if (input.default !== null) {
    const problem = valueProblem(input.default, input.type, input.dim);
    if (problem) {
      return refuse("invalid_parameter", `default: ${problem} for a ${input.type} feature`);
    }
  }
  const existing = doc.features.find((f) => f.entity === input.entity && f.name === input.name);
  if (existing) {
    if (!compatibleTypeChange(existing.type, input.type)) {
      return refuse(
        "conflict",
        `type: feature ${label} is stored as ${existing.type}; changing it to ${input.type} would break stored values (only int -> float is allowed; create a new feature instead)`,
      );
    }
    if (existing.dim !== input.dim) {
      return refuse(
        "conflict",
        `dim: feature ${label} is stored with dim ${existing.dim}; changing it to ${input.dim} would break stored vectors (create a new feature instead)`,
      );
    }
  }
  const feature: FeatureDefinition = {
    ...input,
    default: input.default as FeatureValue | null,
    bin: existing?.bin ?? binFor(doc.nextBin),
    storage: { kind: "value" },
    system: false,
    version: (existing?.version ?? 0) + 1,
    updatedAt: now,
  };
  const features = existing
    ? doc.features.map((f) => (f === existing ? feature : f))
    : [...doc.features, feature];
  return {
    ok: true,
    doc: {
      ...doc,
      version: doc.version + 1,
      features,
      nextBin: existing ? doc.nextBin : doc.nextBin + 1,
    },
    value: feature,
  };
}

export function deleteFeature(
  doc: RegistryDocument,
  entity: string,
  name: string,
): ChangeResult<FeatureDefinition> {
  if (isSystemFeature(entity, name)) {
    return refuse("conflict", `feature ${entity}.${name} is built in and cannot be deleted`);
  }
  const existing = doc.features.find((f) => f.entity === entity && f.name === name);
  if (!existing) return refuse("not_found", `no feature ${entity}.${name}`);
  // nextBin is untouched: the bin is retired, never handed to another feature.
  return {
    ok: true,
    doc: { ...doc, version: doc.version + 1, features: doc.features.filter((f) => f !== existing) },
    value: existing,
  };
}

export function addRegion(doc: RegistryDocument, region: string): ChangeResult<boolean> {
  if (doc.regions.includes(region)) return { ok: true, doc, value: false };
  return {
    ok: true,
    doc: { ...doc, version: doc.version + 1, regions: [...doc.regions, region].sort() },
    value: true,
  };
}
