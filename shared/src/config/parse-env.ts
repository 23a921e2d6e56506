import type { z } from "zod";

/** Thrown when configuration is wrong; `message` names each variable and what it expects. */
export class ConfigError extends Error {
  constructor(
    readonly side: string,
    readonly problems: string[],
  ) {
    super(`invalid ${side} configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const SECRET_NAME = /SECRET|TOKEN|PASSWORD|KEY/i;

function shown(name: string, value: unknown): string {
  if (value === undefined || value === "") return "it is not set";
  if (SECRET_NAME.test(name)) return "got a value that is not valid (hidden, it is a secret)";
  return `got ${JSON.stringify(value)}`;
}

/**
 * Parses environment variables (or Worker bindings) once, at start-up, with a
 * zod object schema. Every problem names the variable, what is expected and
 * what was found, so a wrong deployment fails before it serves a request.
 *
 * @example
 * const config = parseEnv(OriginConfig, process.env, "origin");
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, unknown>,
  side: string,
): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join(".") || "(configuration)";
    return `${name}: ${issue.message}; ${shown(name, source[name])}`;
  });
  throw new ConfigError(side, problems);
}
