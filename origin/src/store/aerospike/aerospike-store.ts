import Aerospike from "aerospike";
import pLimit, { type LimitFunction } from "p-limit";
import {
  type Bins,
  type BinsPatch,
  type BinValue,
  type OperateRequest,
  type OperateResult,
  type Operation,
  type PutOptions,
  type RecordKey,
  StoreError,
  type StorePort,
  type StoreRecord,
  TTL_KEEP,
  TTL_NEVER,
  type WriteOptions,
} from "../port.js";
import {
  assertValidBins,
  assertValidKey,
  assertValidOperations,
  assertValidTtl,
} from "../validate.js";
import { isClientTimeout, isNotFound, toStoreError } from "./errors.js";
import { toAerospikeOperations } from "./operations.js";

const { Key, policy, batchType } = Aerospike;

export interface AerospikeStoreOptions {
  /** Seed hosts, e.g. `[{ addr: "127.0.0.1", port: 3000 }]`. */
  hosts: { addr: string; port: number }[];
  /** Per-read budget including retries. */
  readTimeoutMs: number;
  /** Per-batch budget including retries; batches touch every node. */
  batchTimeoutMs: number;
  /** Per-write budget. */
  writeTimeoutMs: number;
  /** Upper bound of commands in flight from this process. */
  maxInFlight: number;
  /** Connection pool size per node; the client fails commands beyond it (error -7). */
  maxConnsPerNode: number;
}

/**
 * Records per `batchWrite` call; chunks go concurrently. 200 keeps each call
 * well inside the batch timeout on a loaded server and under its batch limits.
 */
const BATCH_WRITE_CHUNK = 200;

/** Bins whose map size an operate asks for: a missing bin reads as 0, as on LMDB. */
function sizeBins(operations: readonly Operation[]): string[] {
  return operations.filter((o) => o.op === "mapSize").map((o) => o.bin);
}

/** Never-expiring records report a TTL of -1 or 2^32-1 depending on client path. */
const NO_EXPIRY_TTLS = new Set([-1, 0xffffffff]);

/**
 * The client's bins without null ones. The client's own object is kept when
 * it has none (the usual case): copying a wide record bin by bin costs more
 * than the rest of serving it (V8 turns a 50-bin object built key by key
 * into a slow dictionary).
 */
function liveBins(raw: Aerospike.AerospikeRecord["bins"] | undefined): Bins {
  if (!raw) return {};
  let clean = true;
  for (const name in raw) {
    const value = raw[name];
    if (value === null || value === undefined) {
      clean = false;
      break;
    }
  }
  if (clean) return raw as Bins;
  const bins: Bins = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== null && value !== undefined) bins[name] = value as BinValue;
  }
  return bins;
}

function toRecord(record: Aerospike.AerospikeRecord, now: number): StoreRecord {
  const ttl = record.ttl;
  const bins = liveBins(record.bins);
  return {
    bins,
    gen: record.gen ?? 0,
    expiresAt: ttl === undefined || NO_EXPIRY_TTLS.has(ttl) || ttl <= 0 ? null : now + ttl * 1000,
  };
}

/**
 * The production store: a thin adapter over the official `aerospike` client.
 * Batch reads are one `batchRead` call; every command has a timeout and
 * retries only where retrying cannot double-apply (reads, merges), and the
 * number of commands in flight is bounded so the client's per-node
 * connection limit is never exceeded.
 */
export class AerospikeStore implements StorePort {
  readonly kind = "aerospike" as const;
  /** Map operations cannot rank decayed values across periods: callers trim from a read-back. */
  readonly supportsTopTrim = false;
  private readonly limit: LimitFunction;
  private readonly readPolicy: Aerospike.ReadPolicy;
  private readonly batchPolicy: Aerospike.BatchPolicy;
  private readonly batchWriteCallPolicy: Aerospike.BatchPolicy;
  private closed = false;

  private constructor(
    private readonly client: Aerospike.Client,
    private readonly options: AerospikeStoreOptions,
  ) {
    this.limit = pLimit(options.maxInFlight);
    // Reads are idempotent: retry twice within the budget (e.g. across a node change).
    this.readPolicy = new policy.ReadPolicy({
      totalTimeout: options.readTimeoutMs,
      socketTimeout: options.readTimeoutMs,
      maxRetries: 2,
    });
    this.batchPolicy = new policy.BatchPolicy({
      totalTimeout: options.batchTimeoutMs,
      socketTimeout: options.batchTimeoutMs,
      maxRetries: 2,
    });
    // Batch writes hold increments: never retried, so a timeout can not double-count.
    this.batchWriteCallPolicy = new policy.BatchPolicy({
      totalTimeout: options.batchTimeoutMs,
      socketTimeout: options.batchTimeoutMs,
      maxRetries: 0,
    });
  }

  static async connect(options: AerospikeStoreOptions): Promise<AerospikeStore> {
    try {
      const client = await Aerospike.connect({
        hosts: options.hosts,
        maxConnsPerNode: options.maxConnsPerNode,
        // A cold cluster connect on a busy box can take a while; fail start-up after 5 s.
        connTimeoutMs: 5_000,
        log: { level: Aerospike.log.OFF },
      });
      return new AerospikeStore(client, options);
    } catch (error) {
      const hosts = options.hosts.map((h) => `${h.addr}:${h.port}`).join(",");
      throw toStoreError(error, `cannot connect to Aerospike at ${hosts}`);
    }
  }

  private key(key: RecordKey): Aerospike.Key {
    assertValidKey(key);
    return new Key(key.ns, key.set, key.key);
  }

  private run<T>(context: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError("unavailable", "store is closed"));
    return this.limit(async () => {
      try {
        return await command();
      } catch (error) {
        throw toStoreError(error, context);
      }
    });
  }

  private operatePolicy(expectGen: number | undefined, retries: number): Aerospike.OperatePolicy {
    const props: Record<string, unknown> = {
      totalTimeout: this.options.writeTimeoutMs,
      socketTimeout: this.options.writeTimeoutMs,
      maxRetries: retries,
    };
    if (expectGen === 0) props.exists = policy.exists.CREATE;
    else if (expectGen !== undefined) {
      props.gen = policy.gen.EQ;
      props.exists = policy.exists.UPDATE;
    }
    return new policy.OperatePolicy(props);
  }

  /** Record metadata for a write: its TTL and, for a generation check, the expected generation. */
  private meta(ttl: number, expectGen: number | undefined): Aerospike.RecordMetadata {
    return expectGen ? { ttl, gen: expectGen } : { ttl };
  }

  async get(key: RecordKey, bins?: readonly string[]): Promise<StoreRecord | null> {
    const k = this.key(key);
    const once = async () => {
      try {
        const record = bins
          ? await this.client.select(k, [...bins], this.readPolicy)
          : await this.client.get(k, this.readPolicy);
        return toRecord(record, Date.now());
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    };
    return this.run("get", async () => {
      try {
        return await once();
      } catch (error) {
        // The client's total timeout runs on our event loop: a synchronous stretch
        // elsewhere (parsing a large model) can expire it before the answer is
        // read, with no retry left. Reads are idempotent, so one more try.
        if (!isClientTimeout(error)) throw error;
        return await once();
      }
    });
  }

  async batchGet(
    keys: readonly RecordKey[],
    bins?: readonly string[],
  ): Promise<(StoreRecord | null)[]> {
    if (keys.length === 0) return [];
    // One bin list for every key: the client only reads it.
    const binList = bins ? [...bins] : undefined;
    const requests: Aerospike.BatchReadRecord[] = keys.map((key) =>
      binList
        ? { type: batchType.BATCH_READ, key: this.key(key), bins: binList }
        : { type: batchType.BATCH_READ, key: this.key(key), readAllBins: true },
    );
    return this.run("batchGet", async () => {
      const results = await this.client.batchRead(requests, this.batchPolicy);
      const now = Date.now();
      return results.map((result) => {
        if (result.status === Aerospike.status.OK && result.record)
          return toRecord(result.record, now);
        if (result.status === Aerospike.status.ERR_RECORD_NOT_FOUND) return null;
        throw toStoreError(
          { code: result.status, message: `batch item status ${result.status}` },
          "batchGet",
        );
      });
    });
  }

  async put(key: RecordKey, bins: BinsPatch, options: PutOptions = {}): Promise<{ gen: number }> {
    const k = this.key(key);
    assertValidBins(bins);
    assertValidTtl(options.ttl);
    // Written as one operate (not client.put) so the new generation comes back
    // in the same round trip; `replace` deletes the old bins in the same command.
    const writes: Operation[] = Object.entries(bins).map(([bin, value]) => ({
      op: "put",
      bin,
      value,
    }));
    const ops = toAerospikeOperations(writes);
    if (options.replace) ops.unshift(Aerospike.operations.delete());
    // A plain write is idempotent, so one retry is safe; a generation-checked one is not.
    const retries = options.expectGen === undefined ? 1 : 0;
    const operatePolicy = this.operatePolicy(options.expectGen, retries);
    const ttl = options.ttl ?? TTL_NEVER;
    return this.run("put", async () => {
      const record = await this.client.operate(
        k,
        ops,
        this.meta(ttl, options.expectGen),
        operatePolicy,
      );
      return { gen: record.gen ?? 0 };
    });
  }

  async remove(key: RecordKey): Promise<boolean> {
    const k = this.key(key);
    return this.run("remove", async () => {
      try {
        await this.client.remove(k);
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    });
  }

  async operate(
    key: RecordKey,
    operations: readonly Operation[],
    options: WriteOptions = {},
  ): Promise<OperateResult> {
    const k = this.key(key);
    assertValidOperations(operations);
    assertValidTtl(options.ttl);
    const ops = toAerospikeOperations(operations);
    const readBins = new Set(
      operations.filter((o) => o.op === "read" || o.op === "mapSize").map((o) => o.bin),
    );
    // Increments are not idempotent: never retry, so a timeout can not double-count.
    const operatePolicy = this.operatePolicy(options.expectGen, 0);
    const ttl = options.ttl ?? TTL_KEEP;
    return this.run("operate", async () => {
      const record = await this.client.operate(
        k,
        ops,
        this.meta(ttl, options.expectGen),
        operatePolicy,
      );
      const bins: Bins = {};
      for (const name of readBins) {
        const value = record.bins?.[name];
        if (value !== null && value !== undefined) bins[name] = value as BinValue;
      }
      for (const name of sizeBins(operations)) bins[name] ??= 0;
      return { gen: record.gen ?? 0, bins };
    });
  }

  async operateMany(requests: readonly OperateRequest[]): Promise<(OperateResult | StoreError)[]> {
    const results = new Array<OperateResult | StoreError>(requests.length);
    const valid: {
      index: number;
      record: Aerospike.BatchWriteRecord;
      reads: Set<string>;
      sizes: string[];
    }[] = [];
    const single: Promise<void>[] = [];
    requests.forEach((request, index) => {
      const expectGen = request.options?.expectGen;
      if (expectGen !== undefined && expectGen > 0) {
        // The node client never passes the expected generation of a batch write
        // (it stays 0), so generation-checked writes go as single operates.
        single.push(
          this.operate(request.key, request.operations, request.options).then(
            (result) => {
              results[index] = result;
            },
            (error: unknown) => {
              results[index] = toStoreError(error, "operateMany");
            },
          ),
        );
        return;
      }
      try {
        const key = this.key(request.key);
        assertValidOperations(request.operations);
        const options = request.options ?? {};
        assertValidTtl(options.ttl);
        valid.push({
          index,
          record: {
            type: batchType.BATCH_WRITE,
            key,
            ops: toAerospikeOperations(request.operations),
            policy: this.batchWritePolicy(options),
          } as Aerospike.BatchWriteRecord,
          reads: new Set(
            request.operations
              .filter((o) => o.op === "read" || o.op === "mapSize")
              .map((o) => o.bin),
          ),
          sizes: sizeBins(request.operations),
        });
      } catch (error) {
        results[index] = toStoreError(error, "operateMany");
      }
    });
    const chunks: (typeof valid)[] = [];
    for (let start = 0; start < valid.length; start += BATCH_WRITE_CHUNK) {
      chunks.push(valid.slice(start, start + BATCH_WRITE_CHUNK));
    }
    await Promise.all(
      chunks.map(async (chunk) => {
        const answers = await this.run("operateMany", () =>
          this.client.batchWrite(
            chunk.map((c) => c.record),
            this.batchWriteCallPolicy,
          ),
        );
        chunk.forEach((c, i) => {
          const answer = answers[i];
          if (answer?.status === Aerospike.status.OK && answer.record) {
            const bins: Bins = {};
            for (const name of c.reads) {
              const value = answer.record.bins?.[name];
              if (value !== null && value !== undefined) bins[name] = value as BinValue;
            }
            for (const name of c.sizes) bins[name] ??= 0;
            results[c.index] = { gen: answer.record.gen ?? 0, bins };
          } else {
            const code = answer?.status ?? Aerospike.status.ERR_CLIENT;
            results[c.index] = toStoreError(
              { code, message: `batch write status ${code}` },
              "operateMany",
            );
          }
        });
      }),
    );
    await Promise.all(single);
    return results;
  }

  /** Per-record policy of a batch write: TTL and create-only, as `operate` sets them. */
  private batchWritePolicy(options: WriteOptions): Aerospike.BatchWritePolicy {
    const props: Record<string, unknown> = { ttl: options.ttl ?? TTL_KEEP };
    if (options.expectGen === 0) props.exists = policy.exists.CREATE;
    return new policy.BatchWritePolicy(props);
  }

  async scan(ns: string, set: string, bins?: readonly string[]): Promise<StoreRecord[]> {
    assertValidKey({ ns, set, key: "-" });
    return this.run("scan", async () => {
      const scan = this.client.scan(ns, set, bins ? { select: [...bins] } : {});
      const stream = scan.foreach(
        new policy.ScanPolicy({
          totalTimeout: this.options.batchTimeoutMs * 10,
          socketTimeout: this.options.batchTimeoutMs * 10,
        }),
      );
      const out: StoreRecord[] = [];
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (record: Aerospike.AerospikeRecord) => {
          out.push(toRecord(record, Date.now()));
        });
        stream.on("error", reject);
        stream.on("end", () => resolve());
      });
      return out;
    });
  }

  async ping(): Promise<boolean> {
    return !this.closed && this.client.isConnected(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued and in-flight commands finish before the connections go.
    while (this.limit.activeCount + this.limit.pendingCount > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await this.client.close(false);
  }
}
