import { z } from "zod";
import { RegionName } from "#shared/config/region";

/** One edge deployment the origin publishes hot changes to. */
export interface EdgeTarget {
  /** Base URL of the edge worker, e.g. `https://ap-south.example.com` (no trailing slash). */
  url: string;
  /** The edge's region: its trending and co-visitation are that region's. */
  region: string;
}

const Url = z.url({ message: "expected an http(s) URL" }).refine((u) => /^https?:\/\//.test(u), {
  message: "expected an http(s) URL",
});

/**
 * `EDGE_PUBLISH_URLS`: a comma list of `url` or `region=url` (a bare URL is
 * an edge of the origin's own region). Empty or unset = publish nowhere.
 *
 * @example
 * EDGE_PUBLISH_URLS="ap-south=https://ap.example.com,eu-west=https://eu.example.com"
 */
export const EdgePublishUrls = z.string().transform((raw, ctx) => {
  const out: { url: string; region?: string }[] = [];
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = part.indexOf("=");
    const region = at > 0 ? part.slice(0, at) : undefined;
    const url = at > 0 ? part.slice(at + 1) : part;
    if (region !== undefined && !RegionName.safeParse(region).success) {
      ctx.addIssue({ code: "custom", message: `"${region}" is not a region name` });
      continue;
    }
    if (!Url.safeParse(url).success) {
      ctx.addIssue({ code: "custom", message: `"${url}" is not an http(s) URL` });
      continue;
    }
    out.push({ url: url.replace(/\/+$/, ""), ...(region ? { region } : {}) });
  }
  return out;
});

/** Fills in the origin's region for bare URLs. */
export function edgeTargets(
  parsed: readonly { url: string; region?: string }[],
  originRegion: string,
): EdgeTarget[] {
  return parsed.map((t) => ({ url: t.url, region: t.region ?? originRegion }));
}
