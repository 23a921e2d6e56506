import { describe, expect, it } from "vitest";
import { ConfigError } from "#shared/config/parse-env";
import { loadOriginConfig, loadStoreConfig } from "../../src/config/origin-config.js";

describe("store-only configuration (CLIs)", () => {
  it("loads the store without the origin's signing secret", () => {
    expect(loadStoreConfig({ LMDB_PATH: "/tmp/x" })).toEqual({
      kind: "lmdb",
      namespace: "reco",
      path: "/tmp/x",
      readCacheRecords: 50_000,
    });
    expect(loadStoreConfig({ LMDB_READ_CACHE_RECORDS: "0" })).toMatchObject({
      readCacheRecords: 0,
    });
    expect(() => loadStoreConfig({ LMDB_READ_CACHE_RECORDS: "-1" })).toThrow(
      /LMDB_READ_CACHE_RECORDS/,
    );
    expect(loadStoreConfig({ STORE: "aerospike", AEROSPIKE_HOSTS: "h:3000" })).toMatchObject({
      kind: "aerospike",
      hosts: [{ addr: "h", port: 3000 }],
    });
  });

  it("still names a missing AEROSPIKE_HOSTS", () => {
    expect(() => loadStoreConfig({ STORE: "aerospike" })).toThrow(ConfigError);
    expect(() => loadStoreConfig({ STORE: "aerospike" })).toThrow(/AEROSPIKE_HOSTS/);
  });
});

describe("feature platform configuration", () => {
  const base = { ORIGIN_SIGNING_SECRET: "a-secret-of-enough-length" };

  it("defaults: admin API off, 1 s registry poll, 1% training log", () => {
    expect(loadOriginConfig(base)).toMatchObject({
      adminToken: undefined,
      features: {
        registryPollMs: 1_000,
        logSampleRate: 0.01,
        logPath: ".data/feature-log.ndjson",
      },
    });
  });

  it("refuses a short admin token and a sample rate outside [0, 1]", () => {
    expect(() => loadOriginConfig({ ...base, ADMIN_TOKEN: "short" })).toThrow(/ADMIN_TOKEN/);
    expect(() => loadOriginConfig({ ...base, FEATURE_LOG_SAMPLE_RATE: "2" })).toThrow(
      /FEATURE_LOG_SAMPLE_RATE/,
    );
  });
});
