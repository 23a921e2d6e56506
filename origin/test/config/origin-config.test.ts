import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "#shared/config/parse-env";
import { loadOriginConfig } from "../../src/config/origin-config.js";

const SECRET = "a-secret-of-enough-length";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadOriginConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("origin configuration", () => {
  it("has working defaults for a single box", () => {
    const config = loadOriginConfig({ ORIGIN_SIGNING_SECRET: SECRET });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8788,
      region: "local",
      store: { kind: "lmdb", path: ".data/lmdb" },
    });
  });

  it("parses Aerospike seed hosts", () => {
    const config = loadOriginConfig({
      ORIGIN_SIGNING_SECRET: SECRET,
      STORE: "aerospike",
      AEROSPIKE_HOSTS: "10.0.0.1:3000, db2:3100",
    });
    expect(config.store).toMatchObject({
      kind: "aerospike",
      namespace: "test",
      hosts: [
        { addr: "10.0.0.1", port: 3000 },
        { addr: "db2", port: 3100 },
      ],
    });
  });

  it.each([
    [{}, "ORIGIN_SIGNING_SECRET"],
    [{ ORIGIN_SIGNING_SECRET: SECRET, ORIGIN_PORT: "http" }, "ORIGIN_PORT"],
    [{ ORIGIN_SIGNING_SECRET: SECRET, STORE: "redis" }, "STORE"],
    [{ ORIGIN_SIGNING_SECRET: SECRET, STORE: "aerospike" }, "AEROSPIKE_HOSTS"],
    [
      { ORIGIN_SIGNING_SECRET: SECRET, STORE: "aerospike", AEROSPIKE_HOSTS: "db1" },
      "AEROSPIKE_HOSTS",
    ],
    [{ ORIGIN_SIGNING_SECRET: SECRET, SEED_DEMO_DATA: "yes" }, "SEED_DEMO_DATA"],
    [{ ORIGIN_SIGNING_SECRET: SECRET, REGION: "EU West" }, "REGION"],
  ])("refuses %j naming %s", (env, variable) => {
    const problems = problemsOf(env as Record<string, string>);
    expect(problems.some((p) => p.startsWith(`${variable}:`))).toBe(true);
  });

  it("reports every problem at once, including the cross-variable ones", () => {
    const problems = problemsOf({ ORIGIN_PORT: "http", STORE: "aerospike" });
    const variables = problems.map((p) => p.split(":")[0]);
    expect(variables).toEqual(
      expect.arrayContaining(["ORIGIN_PORT", "ORIGIN_SIGNING_SECRET", "AEROSPIKE_HOSTS"]),
    );
  });

  it("never echoes a secret's value", () => {
    const problems = problemsOf({ ORIGIN_SIGNING_SECRET: "tiny" });
    expect(problems.join("\n")).toContain("ORIGIN_SIGNING_SECRET");
    expect(problems.join("\n")).not.toContain("tiny");
  });

  it("stops the real process at start-up with exit code 78 and the reason", () => {
    const entry = fileURLToPath(new URL("../../src/server.ts", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", entry], {
      env: { PATH: process.env.PATH, ORIGIN_SIGNING_SECRET: SECRET, ORIGIN_PORT: "99999" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain("invalid origin configuration");
    expect(result.stderr).toContain("ORIGIN_PORT");
  });
});
