import { execFile } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const execFileAsync = promisify(execFile);

/**
 * Bundles the worker (`edge/src/index.ts`) the way wrangler does for workerd:
 * one ES module, `cloudflare:*` left to the runtime. Returns the script path.
 * `minify` as `wrangler deploy --minify` does (the bench; tests keep readable stacks).
 */
export async function buildEdgeWorker(
  outdir: string,
  options: { minify?: boolean } = {},
): Promise<string> {
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
    minify: options.minify ?? false,
    // Error and class names stay readable in logs when minified.
    keepNames: options.minify ?? false,
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/**
 * The built worker in workerd through Miniflare, with wrangler.toml's bindings
 * (read by wrangler itself, so they never drift from the config) and the
 * given overrides (origin URL, secrets, region). Call `dispose()` to stop it.
 *
 * Miniflare's local-dev extras that production has no counterpart of are off:
 * `logRequests` (the entry worker re-wraps every response to log it) and
 * `stripCfConnectingIp` (every outbound fetch, e.g. to the origin, takes an
 * extra hop through a header-stripping worker). Callers that want the worker's
 * cost and not Cloudflare's front line should send `accept-encoding: identity`
 * (see `IDENTITY_ENCODING`): otherwise the entry worker gzips each JSON answer,
 * emulating the compression production does outside the worker, and undici
 * inflates it again in this process.
 */
export async function startEdgeMiniflare(
  scriptPath: string,
  bindings: Record<string, string>,
  options: { inspector?: boolean } = {},
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
    logRequests: false,
    stripCfConnectingIp: false,
    // The V8 inspector on a free port, for reading the isolate's heap (bench).
    ...(options.inspector ? { inspectorPort: 0 } : {}),
    bindings: { ...workerOptions.bindings, ...bindings },
  } as ConstructorParameters<typeof Miniflare>[0]);
  await miniflare.ready;
  return miniflare;
}

/** The smallest module worker there is: what the runtime and `dispatchFetch` cost with no app at all. */
export const BARE_WORKER_SCRIPT = "export default { fetch() { return new Response('ok'); } }";

/**
 * A bare module worker in workerd, with the same Miniflare options as
 * `startEdgeMiniflare` (no request logging, no cf-connecting-ip stripping),
 * so its `dispatchFetch` is the runtime's own floor on this box, beneath our
 * app's `/healthz`. Call `dispose()` to stop it.
 */
export async function startBareMiniflare(): Promise<Miniflare> {
  const miniflare = new Miniflare({
    name: "bare",
    modules: true,
    script: BARE_WORKER_SCRIPT,
    compatibilityDate: "2026-05-01",
    host: "127.0.0.1",
    port: 0,
    logRequests: false,
    stripCfConnectingIp: false,
  } as ConstructorParameters<typeof Miniflare>[0]);
  await miniflare.ready;
  return miniflare;
}

/** Request headers for `dispatchFetch` that skip the emulated front-line gzip (see `startEdgeMiniflare`). */
export const IDENTITY_ENCODING = { "accept-encoding": "identity" } as const;

/** Asks over the inspector protocol; Node 20 has WebSocket only behind a flag, so a child process does it. */
const HEAP_USAGE_SCRIPT = `
const ws = new WebSocket(process.argv[1]);
let id = 0;
const call = (method) => new Promise((resolve) => {
  const mine = ++id;
  ws.addEventListener("message", (e) => { const m = JSON.parse(String(e.data)); if (m.id === mine) resolve(m.result); });
  ws.send(JSON.stringify({ id: mine, method }));
});
ws.addEventListener("open", async () => {
  await call("Runtime.enable");
  process.stdout.write(JSON.stringify(await call("Runtime.getHeapUsage")));
  ws.close();
  process.exit(0);
});
setTimeout(() => process.exit(2), 10_000);
`;

/** V8's heap usage of the worker's isolate (`Runtime.getHeapUsage`): JS heap, embedder heap and ArrayBuffer backing stores. */
export interface IsolateHeapUsage {
  usedSize: number;
  totalSize: number;
  embedderHeapUsedSize?: number;
  backingStorageSize?: number;
}

/** Reads the edge isolate's heap through Miniflare's inspector (start it with `inspector: true`). */
export async function isolateHeapUsage(miniflare: Miniflare): Promise<IsolateHeapUsage> {
  const inspector = await miniflare.getInspectorURL();
  const target = new URL("/core:user:edge-reco", inspector).href;
  const { stdout } = await execFileAsync(process.execPath, [
    "--experimental-websocket",
    "--no-warnings",
    "-e",
    HEAP_USAGE_SCRIPT,
    target,
  ]);
  return JSON.parse(stdout) as IsolateHeapUsage;
}
