import { describe, expect, it } from "vitest";
import {
  SIGNATURE_HEADER,
  signRequest,
  TIMESTAMP_HEADER,
  verifyRequest,
} from "../src/security/request-signing.js";

const secret = "shared-test-secret-123";
const base = { method: "POST", pathWithQuery: "/internal/x?a=1", body: '{"a":1}', secret };

async function verify(overrides: Partial<Parameters<typeof verifyRequest>[0]> = {}) {
  const now = 1_800_000_000_000;
  const headers = await signRequest({ ...base, now });
  return verifyRequest({
    ...base,
    signature: headers[SIGNATURE_HEADER],
    timestamp: headers[TIMESTAMP_HEADER],
    now,
    ...overrides,
  });
}

describe("request signing", () => {
  it("accepts its own signature", async () => {
    expect(await verify()).toBeNull();
  });

  it.each([
    ["method", { method: "GET" }],
    ["path", { pathWithQuery: "/internal/x?a=2" }],
    ["body", { body: '{"a":2}' }],
    ["secret", { secret: "another-secret-4567" }],
  ])("rejects a changed %s", async (_, change) => {
    expect(await verify(change)).toBe("mismatch");
  });

  it("rejects stale and future timestamps", async () => {
    expect(await verify({ now: 1_800_000_000_000 + 31_000 })).toBe("expired");
    expect(await verify({ now: 1_800_000_000_000 - 31_000 })).toBe("expired");
  });

  it("rejects missing and malformed headers", async () => {
    expect(await verify({ signature: undefined })).toBe("missing");
    expect(await verify({ signature: "not-hex" })).toBe("malformed");
    expect(await verify({ timestamp: "12e3" })).toBe("malformed");
  });
});
