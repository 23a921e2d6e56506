import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { DEV_REGIONS, regionPlan } from "../lib/region-plan.js";

/**
 * The cheap half of "npm run dev:regions works" (the whole run is checked by
 * hand, see docs/edge.md): every region it starts is a wrangler environment
 * that repeats every binding and var of the top level (wrangler does not
 * inherit them), and no two regions share a port or a state directory.
 */
const root = process.cwd();
const { rawConfig } = experimental_readRawConfig({ config: join(root, "wrangler.toml") });
const top = rawConfig as Record<string, unknown> & { vars?: Record<string, unknown> };
const envs = (rawConfig.env ?? {}) as Record<string, Record<string, unknown>>;

/** What a block binds, by binding name, so a forgotten one shows up by name. */
function bindingsOf(block: Record<string, unknown>): string[] {
  const names: string[] = [];
  const dos = block.durable_objects as
    | { bindings?: { name: string; class_name: string }[] }
    | undefined;
  for (const b of dos?.bindings ?? []) names.push(`durable_object:${b.name}=${b.class_name}`);
  const queues = block.queues as
    | { producers?: { binding: string }[]; consumers?: { queue: string }[] }
    | undefined;
  for (const p of queues?.producers ?? []) names.push(`queue_producer:${p.binding}`);
  names.push(`queue_consumers:${queues?.consumers?.length ?? 0}`);
  for (const key of ["kv_namespaces", "r2_buckets", "d1_databases", "ratelimits", "services"]) {
    const list = block[key] as { binding?: string; name?: string }[] | undefined;
    for (const item of list ?? []) names.push(`${key}:${item.binding ?? item.name}`);
  }
  return names.sort();
}

describe("wrangler.toml regions", () => {
  it.each(DEV_REGIONS)("%s is an environment reporting its own REGION", (region) => {
    expect(envs[region]).toBeDefined();
    expect((envs[region]?.vars as Record<string, unknown> | undefined)?.REGION).toBe(region);
  });

  it.each(DEV_REGIONS)("%s repeats every top-level var and binding", (region) => {
    const env = envs[region] ?? {};
    expect(Object.keys((env.vars as object) ?? {}).sort()).toEqual(
      Object.keys(top.vars ?? {}).sort(),
    );
    expect(bindingsOf(env)).toEqual(bindingsOf(top));
  });

  it("gives each region its own queue, so one region's events never reach another's origin", () => {
    const queueOf = (block: Record<string, unknown>) =>
      (block.queues as { producers: { queue: string }[] }).producers.map((p) => p.queue);
    const queues = DEV_REGIONS.flatMap((region) => queueOf(envs[region] ?? {}));
    expect(new Set(queues).size).toBe(queues.length);
  });

  it("points each region's edge at the origin dev:regions starts for it", () => {
    for (const plan of regionPlan(root)) {
      const vars = envs[plan.region]?.vars as Record<string, unknown> | undefined;
      expect(vars?.ORIGIN_URL).toBe(`http://127.0.0.1:${plan.originPort}`);
    }
  });
});

describe("dev:regions plan", () => {
  const plans = regionPlan(root, 20_000, 21_000);

  it("uses no port twice", () => {
    const ports = plans.flatMap((p) => [p.edgePort, p.originPort, p.inspectorPort]);
    expect(new Set(ports).size).toBe(ports.length);
    expect(plans.map((p) => p.edgePort)).toEqual([20_000, 20_002]);
  });

  it("keeps each region's state apart, and apart from npm run dev's", () => {
    const dirs = plans.flatMap((p) => [p.lmdbPath, p.persistTo]);
    expect(new Set(dirs).size).toBe(dirs.length);
    expect(dirs).not.toContain(join(root, ".data/lmdb"));
    expect(dirs).not.toContain(join(root, ".wrangler/state"));
  });
});
