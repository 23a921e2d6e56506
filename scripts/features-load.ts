/**
 * `npm run features:load -- <file.ndjson> [--batch N]`: backfills batch
 * features into the store the origin is configured for (STORE, LMDB_PATH,
 * AEROSPIKE_*; no signing secret needed). One row per line:
 * `{"entity":"item","key":"i00001","values":{"price":499},"ts":1700000000000}`.
 *
 * Exit codes: 0 every row written; 2 some rows were bad (the good ones are
 * written, bad ones listed with line numbers); 64 usage; 66 file not
 * readable; 78 bad configuration; 1 anything else (e.g. the store failed).
 */
import { createReadStream, statSync } from "node:fs";
import { ConfigError } from "#shared/config/parse-env";
import { recordKeys } from "../origin/src/catalog/record-keys.js";
import { loadStoreConfig } from "../origin/src/config/origin-config.js";
import { FeatureRegistry } from "../origin/src/features/registry/feature-registry.js";
import { backfill, DEFAULT_BACKFILL_BATCH } from "../origin/src/features/write/backfill.js";
import { progressReporter } from "../origin/src/features/write/progress-line.js";
import { createStore } from "../origin/src/store/create-store.js";

const EXIT_SOME_BAD = 2;
const EXIT_USAGE = 64;
const EXIT_NO_INPUT = 66;
const EXIT_CONFIG = 78;
/** Bad rows printed one by one; the rest are only counted, so a broken file cannot flood the terminal. */
const MAX_PRINTED_BAD_ROWS = 1_000;

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run features:load -- <file.ndjson> [--batch N]\n`);
  process.exit(EXIT_USAGE);
}

function parseArgs(argv: string[]): { file: string; batch: number } {
  let file: string | undefined;
  let batch = DEFAULT_BACKFILL_BATCH;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--batch") {
      batch = Number(argv[++i]);
      if (!Number.isInteger(batch) || batch < 1 || batch > 10_000)
        usage("--batch must be a whole number from 1 to 10000");
    } else if (arg.startsWith("-")) usage(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (!file) usage("missing the file to load");
  return { file, batch };
}

async function main(): Promise<number> {
  const { file, batch } = parseArgs(process.argv.slice(2));
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    process.stderr.write(`cannot read ${file}\n`);
    return EXIT_NO_INPUT;
  }
  let config: ReturnType<typeof loadStoreConfig>;
  try {
    config = loadStoreConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_CONFIG;
    }
    throw error;
  }
  const store = await createStore(config);
  try {
    const registry = await FeatureRegistry.open(store, recordKeys(config.namespace), {
      pollMs: 0,
    });
    const progress = progressReporter(process.stderr, size);
    let printed = 0;
    const summary = await backfill(
      createReadStream(file, { encoding: "utf8" }),
      { store, namespace: config.namespace, registry },
      {
        batchSize: batch,
        onProgress: (p) => progress.update(p),
        onBadRow: ({ line, reason }) => {
          if (printed++ >= MAX_PRINTED_BAD_ROWS) return;
          const clear = process.stderr.isTTY ? "\r\u001b[K" : "";
          process.stderr.write(`${clear}line ${line}: ${reason}\n`);
        },
      },
    );
    progress.done(summary);
    if (summary.bad > MAX_PRINTED_BAD_ROWS) {
      process.stderr.write(`... and ${summary.bad - MAX_PRINTED_BAD_ROWS} more bad rows\n`);
    }
    process.stdout.write(
      `${file}: ${summary.lines} lines, ${summary.written} rows written, ${summary.bad} bad\n`,
    );
    return summary.bad > 0 ? EXIT_SOME_BAD : 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `features:load failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
