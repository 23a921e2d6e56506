import { gunzipSync, gzipSync } from "node:zlib";
import { ModelHead } from "#shared/models/registry";
import type { RecordKeys } from "../../catalog/record-keys.js";
import type { RecordKey, StorePort } from "../../store/port.js";
import type { ModelFormat } from "../model.js";

/**
 * Chunk size of a stored model file: Aerospike refuses records over 1 MiB
 * by default and a 300-tree forest is ~400 KB gzipped, ~1.3 MB as JSON, so
 * files are gzipped and split into records well below the limit.
 */
const CHUNK_BYTES = 512 * 1024;

/** One uploaded version as stored: the model file and its graph. */
export interface StoredVersion {
  format: ModelFormat;
  source: string;
  graph: unknown;
  createdAt: number;
}

/**
 * Where the model registry keeps its records, all in the `meta` set:
 * `<prefix>:<id>` the head (versions, active, history; bins `doc`, `v`),
 * `<prefix>:<id>:v<n>` one version (format, graph, chunk count),
 * `<prefix>:<id>:v<n>:c<i>` the gzipped model file in chunks.
 */
export class ModelStore {
  constructor(
    readonly store: StorePort,
    private readonly keys: RecordKeys,
    private readonly prefix: string,
  ) {}

  headKey(id: string): RecordKey {
    return this.keys.meta(`${this.prefix}:${id}`);
  }

  private versionKey(id: string, version: number): RecordKey {
    return this.keys.meta(`${this.prefix}:${id}:v${version}`);
  }

  private chunkKey(id: string, version: number, chunk: number): RecordKey {
    return this.keys.meta(`${this.prefix}:${id}:v${version}:c${chunk}`);
  }

  async readHead(id: string): Promise<{ head: ModelHead | null; gen: number }> {
    const record = await this.store.get(this.headKey(id));
    if (!record) return { head: null, gen: 0 };
    const raw = record.bins.doc;
    if (typeof raw !== "string") throw new Error(`model head ${id} has no document`);
    return { head: ModelHead.parse(JSON.parse(raw)), gen: record.gen };
  }

  /** Writes the head only if nobody changed it since `gen` was read (0 = create only). */
  async writeHead(head: ModelHead, gen: number): Promise<void> {
    await this.store.put(
      this.headKey(head.id),
      { doc: JSON.stringify(head), v: head.versions.length },
      { expectGen: gen },
    );
  }

  /** Writes a version's chunks, then its record, create-only: throws `generation_conflict` if taken. */
  async writeVersion(id: string, version: number, stored: StoredVersion): Promise<void> {
    const zipped = gzipSync(stored.source);
    const chunks = Math.max(1, Math.ceil(zipped.byteLength / CHUNK_BYTES));
    const record = this.versionKey(id, version);
    // Claim the version number first so two uploads never write each other's chunks.
    await this.store.put(
      record,
      { fmt: stored.format, at: stored.createdAt, chunks: 0 },
      { expectGen: 0 },
    );
    for (let i = 0; i < chunks; i++) {
      const part = zipped.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
      await this.store.put(this.chunkKey(id, version, i), { z: new Uint8Array(part) });
    }
    await this.store.put(record, { graph: JSON.stringify(stored.graph), chunks });
  }

  async readVersion(id: string, version: number): Promise<StoredVersion | null> {
    const record = await this.store.get(this.versionKey(id, version));
    const chunks = record?.bins.chunks;
    if (!record || typeof chunks !== "number" || chunks === 0) return null;
    const keys = Array.from({ length: chunks }, (_, i) => this.chunkKey(id, version, i));
    const parts = await this.store.batchGet(keys, ["z"]);
    const buffers = parts.map((part, i) => {
      const z = part?.bins.z;
      if (!(z instanceof Uint8Array)) throw new Error(`model ${id} v${version} chunk ${i} missing`);
      return z;
    });
    return {
      format: record.bins.fmt as ModelFormat,
      createdAt: record.bins.at as number,
      graph: JSON.parse(record.bins.graph as string),
      source: gunzipSync(Buffer.concat(buffers)).toString("utf8"),
    };
  }
}
