import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HotPublishRequest, type HotPublishResponse } from "#shared/hot/hot-contract";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import type { EdgeApp } from "../app.js";
import { edgeConfig } from "../config/edge-config.js";
import { hotLayer } from "../hot/hot-layer.js";
import { verifyOriginSignature } from "../hot/verify-origin-signature.js";

/** 1,000 entries of a few hundred bytes each, with room: anything larger is not the origin's publisher. */
const PUBLISH_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

async function jsonBody(c: { req: { text(): Promise<string> } }): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw new ApiError("invalid_request", "body must be JSON");
  }
}

/**
 * `POST /internal/hot/publish`: the origin pushes hot-layer changes into this
 * region's store. Only requests signed with the origin's secret are taken
 * (401 otherwise); a pool announcement makes the store fetch the new pool
 * before answering, so the origin knows which version the region holds.
 */
export function registerInternalHotPublish(app: Hono<EdgeApp>): void {
  app.post(
    "/internal/hot/publish",
    bodyLimit({
      maxSize: PUBLISH_BODY_LIMIT_BYTES,
      onError: () => {
        throw new ApiError(
          "payload_too_large",
          `publish bodies are at most ${PUBLISH_BODY_LIMIT_BYTES} bytes`,
        );
      },
    }),
    verifyOriginSignature(),
    async (c) => {
      const request = parseOrThrow(HotPublishRequest, await jsonBody(c));
      const region = edgeConfig(c.env).region;
      const store = c.env.HOT_STORE.get(c.env.HOT_STORE.idFromName(region));
      const applied = request.entries.length > 0 ? await store.putMany(request.entries) : 0;
      // Only when the store took them: an older observation must not replace this isolate's copy.
      if (applied === request.entries.length) hotLayer(c.env).remember(request.entries);
      const poolVersion = request.pool ? await store.poolChanged(request.pool) : null;
      const body: HotPublishResponse = { applied, poolVersion };
      return c.json(body);
    },
  );
}
