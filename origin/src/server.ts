import { ConfigError } from "#shared/config/parse-env";
import { loadOriginConfig } from "./config/origin-config.js";
import { startOrigin } from "./start-origin.js";

/** Process entry: parse config (or exit 78 naming what is wrong), start, stop cleanly on signals. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadOriginConfig>;
  try {
    config = loadOriginConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const origin = await startOrigin(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    origin.logger.info({ signal }, "origin stopping");
    // A stuck drain must not keep a deploy waiting: give up after 10 s.
    setTimeout(() => process.exit(1), 10_000).unref();
    origin.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `origin failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
