import { join } from "node:path";

/** Environment that lets wrangler run with no network (see TOOLCHAIN.md). */
export function wranglerEnv(root: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
    XDG_CONFIG_HOME: join(root, ".xdg"),
  };
}
