import type { EntityDefinition, FeatureDefinition } from "#shared/features/definitions";
import { EMPTY_REGISTRY, RegistryDocument } from "#shared/features/registry-document";
import type { RecordKeys } from "../../catalog/record-keys.js";
import type { Logger } from "../../logger.js";
import { type RecordKey, StoreError, type StorePort } from "../../store/port.js";
import {
  addRegion,
  type ChangeResult,
  deleteFeature,
  putEntity,
  putFeature,
} from "./registry-changes.js";
import { buildSnapshot, type RegistrySnapshot } from "./registry-snapshot.js";

/** Record name under `meta`; one document for the whole registry. */
export const REGISTRY_RECORD = "feature-registry";
/** Default poll period: a change reaches every process within about a second. */
export const DEFAULT_REGISTRY_POLL_MS = 1_000;
/** Generation conflicts come from concurrent admins or starting origins; a few retries settle them. */
const MAX_CHANGE_ATTEMPTS = 20;

export interface FeatureRegistryOptions {
  pollMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Record name under `meta`; tests sharing one Aerospike namespace use their own. */
  recordName?: string;
}

/**
 * The feature registry of one process. `snapshot()` is the current parsed
 * registry (lookup maps built once per version, nothing per request); a
 * timer polls the record's generation and swaps in changes made elsewhere;
 * changes go through the store's generation check and retry on conflict, so
 * two processes never lose each other's change.
 */
export class FeatureRegistry {
  private current: RegistrySnapshot;
  private gen = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;
  private readonly key: RecordKey;
  private readonly now: () => number;

  private constructor(
    private readonly store: StorePort,
    keys: RecordKeys,
    private readonly options: FeatureRegistryOptions,
  ) {
    this.key = keys.meta(options.recordName ?? REGISTRY_RECORD);
    this.now = options.now ?? Date.now;
    this.current = buildSnapshot(EMPTY_REGISTRY);
  }

  /** Loads the registry and starts polling (`pollMs: 0` disables polling, for tools and tests). */
  static async open(
    store: StorePort,
    keys: RecordKeys,
    options: FeatureRegistryOptions = {},
  ): Promise<FeatureRegistry> {
    const registry = new FeatureRegistry(store, keys, options);
    await registry.refresh();
    const pollMs = options.pollMs ?? DEFAULT_REGISTRY_POLL_MS;
    if (pollMs > 0) {
      registry.timer = setInterval(() => void registry.poll(), pollMs);
      registry.timer.unref();
    }
    return registry;
  }

  snapshot(): RegistrySnapshot {
    return this.current;
  }

  /** Reads the record now and installs it if it changed; returns the current snapshot. */
  async refresh(): Promise<RegistrySnapshot> {
    const { doc, gen } = await this.load();
    this.install(doc, gen);
    return this.current;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      // Only the tiny version bin: the document is read only when the generation moved.
      const head = await this.store.get(this.key, ["v"]);
      if ((head?.gen ?? 0) !== this.gen) await this.refresh();
    } catch (error) {
      this.options.logger?.warn({ err: error }, "feature registry poll failed; keeping the last");
    } finally {
      this.polling = false;
    }
  }

  private async load(): Promise<{ doc: RegistryDocument; gen: number }> {
    const record = await this.store.get(this.key);
    if (!record) return { doc: EMPTY_REGISTRY, gen: 0 };
    const raw = record.bins.doc;
    if (typeof raw !== "string") throw new Error("feature registry record has no document");
    return { doc: RegistryDocument.parse(JSON.parse(raw)), gen: record.gen };
  }

  private install(doc: RegistryDocument, gen: number): void {
    this.gen = gen;
    // Versions only grow; never step back to an older document read late.
    if (doc.version !== this.current.version && doc.version >= this.current.version) {
      this.current = buildSnapshot(doc);
    }
  }

  private async change<T>(
    apply: (doc: RegistryDocument) => ChangeResult<T>,
  ): Promise<ChangeResult<T>> {
    for (let attempt = 0; ; attempt++) {
      const { doc, gen } = await this.load();
      const result = apply(doc);
      if (!result.ok || result.doc === doc) {
        this.install(doc, gen);
        return result;
      }
      try {
        const written = await this.store.put(
          this.key,
          { doc: JSON.stringify(result.doc), v: result.doc.version },
          { expectGen: gen },
        );
        this.install(result.doc, written.gen);
        return result;
      } catch (error) {
        const conflict = error instanceof StoreError && error.code === "generation_conflict";
        if (!conflict || attempt + 1 >= MAX_CHANGE_ATTEMPTS) throw error;
        // Jittered back-off so racing processes do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
    }
  }

  putEntity(entity: EntityDefinition): Promise<ChangeResult<EntityDefinition>> {
    return this.change((doc) => putEntity(doc, entity));
  }

  /** Creates or changes a user feature; `input` is checked against `FeatureDefinitionInput`. */
  putFeature(input: unknown): Promise<ChangeResult<FeatureDefinition>> {
    return this.change((doc) => putFeature(doc, input, this.now()));
  }

  deleteFeature(entity: string, name: string): Promise<ChangeResult<FeatureDefinition>> {
    return this.change((doc) => deleteFeature(doc, entity, name));
  }

  /** Records that an origin serves `region`, so its per-region counter bins are summed on read. */
  async registerRegion(region: string): Promise<void> {
    const result = await this.change((doc) => addRegion(doc, region));
    if (!result.ok) throw new Error(result.message);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
