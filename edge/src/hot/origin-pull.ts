import {
  HOT_POOL_UPDATED_AT_HEADER,
  HOT_POOL_VERSION_HEADER,
  HotGetResponse,
  type HotKind,
  type HotPoolHead,
  type HotWireEntry,
} from "#shared/hot/hot-contract";
import { signRequest } from "#shared/security/request-signing";

/** Where the region store pulls from: the origin's internal API, signed with the shared secret. */
export interface OriginTarget {
  originUrl: string;
  signingSecret: string;
  region: string;
  timeoutMs: number;
}

/** The origin could not answer (down, late, refused, off-contract): the store keeps what it has. */
export class OriginPullError extends Error {
  override name = "OriginPullError";
}

async function signedPost(target: OriginTarget, path: string, body: unknown): Promise<Response> {
  const text = JSON.stringify(body);
  const headers = await signRequest({
    method: "POST",
    pathWithQuery: path,
    body: text,
    secret: target.signingSecret,
  });
  let response: Response;
  try {
    response = await fetch(`${target.originUrl}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: text,
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    throw new OriginPullError(
      error instanceof Error && error.name === "TimeoutError"
        ? `origin did not answer within ${target.timeoutMs} ms`
        : "origin is unreachable",
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new OriginPullError(`origin answered ${response.status}`);
  }
  return response;
}

/** `POST /internal/hot/get`: the origin's current entries for `ids`, one per id. */
export async function pullEntries(
  target: OriginTarget,
  kind: HotKind,
  ids: readonly string[],
): Promise<HotWireEntry[]> {
  const response = await signedPost(target, "/internal/hot/get", {
    region: target.region,
    kind,
    ids,
  });
  const parsed = HotGetResponse.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new OriginPullError("origin answered outside the hot contract");
  return parsed.data.entries;
}

/**
 * `POST /internal/hot/pool`: the pool's bytes, or `unchanged` when the store
 * already holds `haveVersion` (the common case, a few bytes on the wire).
 */
export async function pullPool(
  target: OriginTarget,
  haveVersion: number | undefined,
): Promise<{ unchanged: true } | { head: HotPoolHead; bytes: Uint8Array }> {
  const response = await signedPost(target, "/internal/hot/pool", {
    region: target.region,
    ...(haveVersion === undefined ? {} : { haveVersion }),
  });
  if ((response.headers.get("content-type") ?? "").startsWith("application/json")) {
    const body = (await response.json().catch(() => undefined)) as { unchanged?: unknown };
    if (body?.unchanged === true) return { unchanged: true };
    throw new OriginPullError("origin answered outside the hot contract");
  }
  const version = Number(response.headers.get(HOT_POOL_VERSION_HEADER));
  const updatedAt = Number(response.headers.get(HOT_POOL_UPDATED_AT_HEADER));
  if (!Number.isInteger(version) || !Number.isInteger(updatedAt)) {
    await response.body?.cancel();
    throw new OriginPullError("origin's pool answer has no version");
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { head: { version, updatedAt, bytes: bytes.byteLength }, bytes };
}
