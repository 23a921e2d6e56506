import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { LmdbStore } from "../../src/store/lmdb/lmdb-store.js";
import { storeContract } from "./store.contract.js";

const dir = mkdtempSync(join(tmpdir(), "reco-lmdb-contract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract("lmdb", {
  namespace: "test",
  open: async () => new LmdbStore({ path: join(dir, "db") }),
});
