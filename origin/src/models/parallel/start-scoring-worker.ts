import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type MessagePort, Worker } from "node:worker_threads";
import type { ScoringWorkerData } from "./scoring-messages.js";

/**
 * Starts the scoring worker: through tsx's loader when this module runs as
 * TypeScript (dev, tests, bench, `npm run origin`), the .js in a compiled
 * build (the stream worker's pattern). `unref`: an idle scorer never keeps
 * the process alive.
 */
export function startScoringWorker(data: ScoringWorkerData): Worker {
  const options = { workerData: data, transferList: [data.port as MessagePort] };
  const entry = new URL(
    import.meta.url.endsWith(".ts") ? "./scoring-worker.ts" : "./scoring-worker.js",
    import.meta.url,
  );
  let worker: Worker;
  if (!entry.pathname.endsWith(".ts")) {
    worker = new Worker(entry, options);
  } else {
    const tsxPackage = createRequire(import.meta.url).resolve("tsx/package.json");
    const tsxApi = pathToFileURL(join(dirname(tsxPackage), "dist/esm/api/index.mjs")).href;
    const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
    worker = new Worker(boot, { ...options, eval: true });
  }
  worker.unref();
  return worker;
}
