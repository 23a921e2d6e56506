import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Bundles the worker (`edge/src/index.ts`) the way wrangler does for workerd:
 * one ES module, `cloudflare:*` left to the runtime. Returns the script path.
 */
export async function buildEdgeWorker(outdir: string): Promise<string> {
  const outfile = `${outdir}/index.js`;
  await build({
    entryPoints: [`${ROOT}edge/src/index.ts`],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    target: "es2022",
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/**
 * The built worker in workerd through Miniflare, with wrangler.toml's bindings
 * (read by wrangler itself, so they never drift from the config) and the
 * given overrides (origin URL, secrets, region). Call `dispose()` to stop it.
 */
export async function startEdgeMiniflare(
  scriptPath: string,
  bindings: Record<string, string>,
): Promise<Miniflare> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${ROOT}wrangler.toml`);
  const miniflare = new Miniflare({
    ...workerOptions,
    name: "edge-reco",
    modules: true,
    scriptPath,
    // Module names are relative to the bundle's own directory (it may sit outside the repo).
    modulesRoot: dirname(scriptPath),
    host: "127.0.0.1",
    port: 0,
    bindings: { ...workerOptions.bindings, ...bindings },
  } as ConstructorParameters<typeof Miniflare>[0]);
  await miniflare.ready;
  return miniflare;
}
