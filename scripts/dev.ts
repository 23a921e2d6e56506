/**
 * `npm run dev`: the origin on the embedded LMDB store (demo data seeded on
 * first start, reused after), then the edge under `wrangler dev`, URLs
 * printed, both stopped cleanly on Ctrl-C. `npm run dev:regions` runs one
 * such pair per region.
 */
import { join } from "node:path";
import { devSecrets } from "./lib/dev-secrets.js";
import { DevSupervisor, startStack } from "./lib/dev-stack.js";
import { tryItLines } from "./lib/try-it.js";

const root = process.cwd();
const dataDir = join(root, ".data");
const EDGE_PORT = Number(process.env.EDGE_PORT ?? 8787);
const ORIGIN_PORT = Number(process.env.ORIGIN_PORT ?? 8788);
const INSPECTOR_PORT = Number(process.env.INSPECTOR_PORT ?? 9229);

async function main(): Promise<void> {
  const secrets = devSecrets(dataDir);
  const supervisor = new DevSupervisor();
  const stack = await startStack(
    {
      root,
      region: "local",
      edgePort: EDGE_PORT,
      originPort: ORIGIN_PORT,
      inspectorPort: INSPECTOR_PORT,
      lmdbPath: join(dataDir, "lmdb"),
      persistTo: join(root, ".wrangler/state"),
      secrets,
    },
    supervisor,
  ).catch((error: unknown) => supervisor.fail("npm run dev", error));
  process.stdout.write(
    [
      "",
      "  edge recommendation API is up",
      `  edge    ${stack.edgeUrl}   (browser-facing)`,
      `  origin  ${stack.originUrl}   (signed internal API, LMDB at .data/lmdb)`,
      "",
      ...(await tryItLines(stack, secrets)),
      "  Ctrl-C stops both.",
      "",
    ].join("\n"),
  );
}

void main();
