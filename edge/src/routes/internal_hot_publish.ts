import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HotPublishRequest, type HotPublishResponse } from "#shared/hot/hot-contract";
import { ApiError, parseOrThrow } from "#shared/http/api-error";
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyRequest,
} from "#shared/security/request-signing";
import type { EdgeApp } from "../app.js";
import { edgeConfig } from "../config/edge-config.js";

/** 1,000 entries of a few hundred bytes each, with room: anything larger is not the origin's publisher. */
const PUBLISH_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const REASONS = {
  missing: "request is not signed",
  malformed: "request signature is malformed",
  expired: "request signature has expired or is from the future",
  mismatch: "request signature does not match",
} as const;

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
    async (c) => {
      const config = edgeConfig(c.env);
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const url = new URL(c.req.url);
      const failure = await verifyRequest({
        method: "POST",
        pathWithQuery: url.pathname + url.search,
        body: raw,
        secret: config.signingSecret,
        signature: c.req.header(SIGNATURE_HEADER),
        timestamp: c.req.header(TIMESTAMP_HEADER),
      });
      if (failure) throw new ApiError("unauthorized", REASONS[failure]);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(raw));
      } catch {
        throw new ApiError("invalid_request", "body must be JSON");
      }
      const request = parseOrThrow(HotPublishRequest, json);
      const store = c.env.HOT_STORE.get(c.env.HOT_STORE.idFromName(config.region));
      const applied = request.entries.length > 0 ? await store.putMany(request.entries) : 0;
      const poolVersion = request.pool ? await store.poolChanged(request.pool) : null;
      const body: HotPublishResponse = { applied, poolVersion };
      return c.json(body);
    },
  );
}
