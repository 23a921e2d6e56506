import { ApiError, parseOrThrow } from "#shared/http/api-error";
import {
  type ModelHead,
  ModelUploadRequest,
  type ModelVersionSummary,
} from "#shared/models/registry";
import type { RecordKeys } from "../../catalog/record-keys.js";
import type { RegistrySnapshot } from "../../features/registry/registry-snapshot.js";
import type { Logger } from "../../logger.js";
import { compileGraph, type GraphPlan } from "../../proxy/compile-graph.js";
import { StoreError, type StorePort } from "../../store/port.js";
import { loadModel } from "../load-model.js";
import type { Model } from "../model.js";
import { ModelStore } from "./model-store.js";

/** Default poll period: an activation reaches every process within about a second. */
export const DEFAULT_MODEL_POLL_MS = 1_000;
/** An unknown model id is re-checked at most this often, so a typo'd id cannot hammer the store. */
const UNKNOWN_MODEL_TTL_MS = 1_000;
/** Generation conflicts come from concurrent admins; a few retries settle them. */
const MAX_CHANGE_ATTEMPTS = 20;
/** Pinned (non-active) versions kept parsed per process: a few experiment arms, not every version ever named. */
const MAX_PINNED_VERSIONS = 16;
/** Record-name prefix under `meta`. */
export const MODEL_RECORD_PREFIX = "model";

export interface ModelRegistryOptions {
  pollMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Record-name prefix; tests sharing one Aerospike namespace use their own. */
  recordPrefix?: string;
}

/** The active version of a model, parsed once per process. */
export interface ActiveModel {
  readonly id: string;
  readonly version: number;
  readonly model: Model;
  readonly graph: unknown;
  /** Compiled against the registry version it names; recompiled when the registry moves. */
  plan: GraphPlan | null;
}

interface CacheEntry {
  gen: number;
  head: ModelHead | null;
  active: ActiveModel | null;
  checkedAt: number;
}

/**
 * The model registry: versions of each model (file + retrieval graph) in
 * the store, one active per model. Uploads are validated (the model loads,
 * the graph compiles against the live feature registry, columns = model
 * features). A process parses a version once and caches it; a timer polls
 * the generation of the heads it serves and swaps in activations made
 * elsewhere, so no restart is needed.
 */
export class ModelRegistry {
  private readonly cache = new Map<string, Promise<CacheEntry>>();
  private readonly versions = new Map<string, ActiveModel>();
  /** Versions named explicitly (experiment arms), parsed once; oldest use evicted first. */
  private readonly pinned = new Map<string, Promise<ActiveModel>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;
  private readonly now: () => number;
  readonly records: ModelStore;

  private constructor(
    store: StorePort,
    keys: RecordKeys,
    private readonly features: { snapshot(): RegistrySnapshot },
    private readonly options: ModelRegistryOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.records = new ModelStore(store, keys, options.recordPrefix ?? MODEL_RECORD_PREFIX);
  }

  /** Starts polling (`pollMs: 0` disables it, for tools and tests). */
  static open(
    store: StorePort,
    keys: RecordKeys,
    features: { snapshot(): RegistrySnapshot },
    options: ModelRegistryOptions = {},
  ): ModelRegistry {
    const registry = new ModelRegistry(store, keys, features, options);
    const pollMs = options.pollMs ?? DEFAULT_MODEL_POLL_MS;
    if (pollMs > 0) {
      registry.timer = setInterval(() => void registry.poll(), pollMs);
      registry.timer.unref();
    }
    return registry;
  }

  /** Validates and stores a new version; answers it and the (possibly unchanged) active version. */
  async upload(
    id: string,
    body: unknown,
  ): Promise<{ version: number; active: number; columns: string[] }> {
    const request = parseOrThrow(ModelUploadRequest, body);
    const source =
      typeof request.model === "string" ? request.model : JSON.stringify(request.model);
    const model = loadModel(source, request.format);
    if (model.numPredictOutputs !== 1) {
      throw new ApiError(
        "invalid_parameter",
        `model: ranking needs one score per row; this ${model.objective} model has ${model.numPredictOutputs}`,
      );
    }
    const plan = compileGraph(request.graph, this.features.snapshot());
    if (plan.columns.length !== model.numFeatures) {
      throw new ApiError(
        "invalid_parameter",
        `graph.columns: ${plan.columns.length} column(s), but the model takes ${model.numFeatures} features`,
      );
    }
    const createdAt = this.now();
    const summary = (version: number): ModelVersionSummary => ({
      version,
      format: model.format,
      objective: model.objective,
      numFeatures: model.numFeatures,
      numTrees: model.numTrees,
      columns: [...plan.columnNames],
      createdAt,
    });
    // Claim the next free version number (create-only records, so racing uploads get distinct ones).
    let { head } = await this.records.readHead(id);
    let version = nextVersion(head);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.records.writeVersion(id, version, {
          format: model.format,
          source,
          graph: request.graph,
          createdAt,
        });
        break;
      } catch (error) {
        if (!isConflict(error) || attempt + 1 >= MAX_CHANGE_ATTEMPTS) throw error;
        ({ head } = await this.records.readHead(id));
        version = Math.max(version + 1, nextVersion(head));
      }
    }
    const updated = await this.change(id, true, (current) => {
      const versions = [...(current?.versions ?? []), summary(version)].sort(
        (a, b) => a.version - b.version,
      );
      const activate = current === null || request.activate === true;
      return {
        id,
        versions,
        active: activate ? version : current.active,
        history: activate
          ? [...(current?.history ?? []), { version, action: "activate" as const, at: createdAt }]
          : (current?.history ?? []),
      };
    });
    return { version, active: updated.active, columns: [...plan.columnNames] };
  }

  /** The head as stored now (admin reads), or null. */
  async head(id: string): Promise<ModelHead | null> {
    return (await this.records.readHead(id)).head;
  }

  async activate(id: string, version: number): Promise<ModelHead> {
    return this.change(id, false, (head) => {
      if (!head) throw unknownModel(id);
      if (!head.versions.some((v) => v.version === version)) {
        throw new ApiError("not_found", `model ${id} has no version ${version}`);
      }
      if (head.active === version) return head;
      return {
        ...head,
        active: version,
        history: [...head.history, { version, action: "activate", at: this.now() }],
      };
    });
  }

  /** Returns to the version that was active before the current one. */
  async rollback(id: string): Promise<ModelHead> {
    return this.change(id, false, (head) => {
      if (!head) throw unknownModel(id);
      const previous = [...head.history].reverse().find((h) => h.version !== head.active);
      if (!previous) {
        throw new ApiError("conflict", `model ${id} has no earlier active version to roll back to`);
      }
      return {
        ...head,
        active: previous.version,
        history: [
          ...head.history,
          { version: previous.version, action: "rollback", at: this.now() },
        ],
      };
    });
  }

  /** The active version of `id`, parsed and cached per process, or null if there is no such model. */
  async resolve(id: string): Promise<ActiveModel | null> {
    let pending = this.cache.get(id);
    if (pending) {
      const entry = await pending;
      if (entry.head !== null || this.now() - entry.checkedAt < UNKNOWN_MODEL_TTL_MS) {
        return entry.active;
      }
    }
    pending = this.loadEntry(id);
    this.cache.set(id, pending);
    pending.catch(() => this.cache.delete(id));
    return (await pending).active;
  }

  /**
   * A specific version of `id` (an experiment arm), parsed once and cached
   * per process like the active one. `null` if there is no such model;
   * 404 `ApiError` if the model exists but has no such version.
   */
  async resolveVersion(id: string, version: number): Promise<ActiveModel | null> {
    const active = await this.resolve(id);
    if (!active) return null;
    if (active.version === version) return active;
    const cacheKey = `${id}:${version}`;
    let pending = this.pinned.get(cacheKey);
    if (pending) {
      // Refresh its place in the eviction order.
      this.pinned.delete(cacheKey);
    } else {
      pending = this.loadPinned(id, version);
      pending.catch(() => this.pinned.delete(cacheKey));
    }
    this.pinned.set(cacheKey, pending);
    while (this.pinned.size > MAX_PINNED_VERSIONS) {
      const oldest = this.pinned.keys().next().value as string;
      this.pinned.delete(oldest);
    }
    return pending;
  }

  private async loadPinned(id: string, version: number): Promise<ActiveModel> {
    const entry = await this.cache.get(id);
    // The head this process serves lists the version, or it was never uploaded.
    if (!entry?.head?.versions.some((v) => v.version === version)) {
      const { head } = await this.records.readHead(id);
      if (!head?.versions.some((v) => v.version === version)) {
        throw new ApiError("not_found", `model ${id} has no version ${version}`);
      }
    }
    const stored = await this.records.readVersion(id, version);
    if (!stored) throw new Error(`model ${id} version ${version} is in the head but not stored`);
    return {
      id,
      version,
      model: loadModel(stored.source, stored.format),
      graph: stored.graph,
      plan: null,
    };
  }

  /** The active graph's plan for the current feature registry (compiled once per registry version). */
  planFor(active: ActiveModel): GraphPlan {
    const snapshot = this.features.snapshot();
    if (active.plan?.registryVersion === snapshot.version) return active.plan;
    try {
      active.plan = compileGraph(active.graph, snapshot);
    } catch (error) {
      if (error instanceof ApiError) {
        throw new ApiError(
          "conflict",
          `model ${active.id} v${active.version}: its graph no longer matches the feature registry: ${error.message}`,
        );
      }
      throw error;
    }
    return active.plan;
  }

  private async loadEntry(id: string): Promise<CacheEntry> {
    const { head, gen } = await this.records.readHead(id);
    const active = head ? await this.loadVersion(id, head.active) : null;
    // Only the active version stays parsed: a long-lived process must not keep every version ever served.
    for (const key of this.versions.keys()) {
      if (key.startsWith(`${id}:`) && key !== `${id}:${head?.active}`) this.versions.delete(key);
    }
    return { gen, head, active, checkedAt: this.now() };
  }

  private async loadVersion(id: string, version: number): Promise<ActiveModel> {
    const cacheKey = `${id}:${version}`;
    const cached = this.versions.get(cacheKey);
    if (cached) return cached;
    const stored = await this.records.readVersion(id, version);
    if (!stored) throw new Error(`model ${id} version ${version} is in the head but not stored`);
    const loaded: ActiveModel = {
      id,
      version,
      model: loadModel(stored.source, stored.format),
      graph: stored.graph,
      plan: null,
    };
    this.versions.set(cacheKey, loaded);
    return loaded;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.cache.size === 0) return;
    this.polling = true;
    try {
      const ids = [...this.cache.keys()];
      const entries = await Promise.all(ids.map((id) => this.cache.get(id)));
      // Only the tiny `v` bin of every served head, in one batch: documents are read only on change.
      const heads = await this.records.store.batchGet(
        ids.map((id) => this.records.headKey(id)),
        ["v"],
      );
      await Promise.all(
        ids.map(async (id, i) => {
          if ((heads[i]?.gen ?? 0) === entries[i]?.gen) return;
          const next = await this.loadEntry(id);
          this.cache.set(id, Promise.resolve(next));
        }),
      );
    } catch (error) {
      this.options.logger?.warn({ err: error }, "model registry poll failed; keeping the last");
    } finally {
      this.polling = false;
    }
  }

  private async change(
    id: string,
    create: boolean,
    apply: (head: ModelHead | null) => ModelHead,
  ): Promise<ModelHead> {
    for (let attempt = 0; ; attempt++) {
      const { head, gen } = await this.records.readHead(id);
      if (!head && !create) throw unknownModel(id);
      const next = apply(head);
      if (next === head) return next;
      try {
        await this.records.writeHead(next, gen);
        // This process sees its own change at once; others on their next poll.
        this.cache.delete(id);
        return next;
      } catch (error) {
        if (!isConflict(error) || attempt + 1 >= MAX_CHANGE_ATTEMPTS) throw error;
        // Jittered back-off so racing admins do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function nextVersion(head: ModelHead | null): number {
  return head ? Math.max(0, ...head.versions.map((v) => v.version)) + 1 : 1;
}

function isConflict(error: unknown): boolean {
  return error instanceof StoreError && error.code === "generation_conflict";
}

function unknownModel(id: string): ApiError {
  return new ApiError("not_found", `no model ${id}`);
}
