/**
 * `npm run dev:regions`: both regions of wrangler.toml side by side, each an
 * origin on its own LMDB store plus that region's edge (`wrangler dev --env
 * <region>`) with its own Durable Object and queue state, so a demo shows
 * regional differences (trending, hot layer, sessions). Ctrl-C stops all.
 * Ports from BASE_PORT (default 8787): ap-south edge/origin 8787/8788, eu-west 8789/8790.
 */
import { join } from "node:path";
import { devSecrets } from "./lib/dev-secrets.js";
import { DevSupervisor, startStack } from "./lib/dev-stack.js";
import { regionPlan } from "./lib/region-plan.js";
import { tryItLines } from "./lib/try-it.js";

const root = process.cwd();
const BASE_PORT = Number(process.env.BASE_PORT ?? 8787);
const INSPECTOR_BASE = Number(process.env.INSPECTOR_PORT ?? 9229);

async function main(): Promise<void> {
  const secrets = devSecrets(join(root, ".data"));
  const supervisor = new DevSupervisor();
  const stacks = await Promise.all(
    regionPlan(root, BASE_PORT, INSPECTOR_BASE).map((plan) =>
      startStack(
        { root, ...plan, wranglerEnv: plan.region, secrets, label: `[${plan.region}]` },
        supervisor,
      ),
    ),
  ).catch((error: unknown) => supervisor.fail("npm run dev:regions", error));

  const lines = ["", "  edge recommendation API is up in two regions", ""];
  for (const stack of stacks) {
    lines.push(`  ${stack.region.padEnd(9)} edge ${stack.edgeUrl}   origin ${stack.originUrl}`);
  }
  const [first, second] = stacks;
  if (first && second) {
    lines.push(
      "",
      "  regional difference: views in one region move only that region's trending list",
      `        for i in $(seq 20); do curl -s -X POST ${first.edgeUrl}/v1/events -H 'content-type: application/json' \\`,
      `          -d '{"events":[{"id":"demo-'$i'-'$RANDOM'","type":"view","itemIds":["i00007"],"sessionId":"demo-'$i'","ts":'$(date +%s000)'}]}'; done`,
      `        curl -s '${first.edgeUrl}/v1/recommendations?surface=home&k=5'   # ${first.region}`,
      `        curl -s '${second.edgeUrl}/v1/recommendations?surface=home&k=5'   # ${second.region}`,
      "",
      ...(await tryItLines(first, secrets)),
    );
  }
  lines.push("  Ctrl-C stops all four processes.", "");
  process.stdout.write(lines.join("\n"));
}

void main();
