import { Surface } from "#shared/api/recommendations";
import type { RecordKeys } from "../catalog/record-keys.js";
import type { Logger } from "../logger.js";
import { type RecordKey, StoreError, type StorePort } from "../store/port.js";

/** Default poll period: a change reaches every process within about a second, for one tiny batch read. */
export const DEFAULT_SURFACE_CONFIG_POLL_MS = 1_000;
/** Conflicts come from concurrent admins only; a few retries settle them. */
const MAX_CHANGE_ATTEMPTS = 20;

/** A stored per-surface document: versioned, one record per surface. */
export interface VersionedDocument {
  surface: string;
  version: number;
  updatedAt: number;
}

/** What differs between rules and experiments: record names, parsing, compiling. */
export interface SurfaceConfigKind<D extends VersionedDocument, C> {
  /** Record name under `meta` is `<recordPrefix>-<surface>`. */
  recordPrefix: string;
  /** Parses a stored document (written by us, so a failure is a bug). */
  parse(raw: unknown): D;
  /** Built once per version, shared by every request. */
  compile(doc: D): C;
  /** What a surface with no document compiles to. */
  empty: C;
}

export interface SurfaceConfigEntry<D, C> {
  /** `null` until an admin sets the surface. */
  doc: D | null;
  compiled: C;
}

export type SurfaceChangeResult<D> =
  | { ok: true; doc: D }
  | { ok: false; code: "conflict"; message: string };

export interface SurfaceConfigStoreOptions {
  /** `0` disables polling (tools and tests call `refresh`). */
  pollMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Overrides `kind.recordPrefix`: tests sharing one Aerospike namespace use their own. */
  recordPrefix?: string;
}

/**
 * Per-surface config documents (business rules, experiments) held in the
 * store, one record per surface: `current(surface)` is the compiled config
 * (built once per version, nothing per request); a timer batch-reads the
 * records' tiny `v` bins and reloads only surfaces whose generation moved;
 * changes go through the store's generation check, so two admins never lose
 * each other's change, and `expectVersion` lets an admin refuse to overwrite
 * a version they have not seen.
 */
export class SurfaceConfigStore<D extends VersionedDocument, C> {
  private readonly entries = new Map<string, SurfaceConfigEntry<D, C>>();
  private readonly gens = new Map<string, number>();
  private readonly keys: RecordKey[];
  private readonly surfaces: readonly string[] = Surface.options;
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;
  private readonly now: () => number;

  private constructor(
    private readonly store: StorePort,
    recordKeys: RecordKeys,
    private readonly kind: SurfaceConfigKind<D, C>,
    private readonly options: SurfaceConfigStoreOptions,
  ) {
    const prefix = options.recordPrefix ?? kind.recordPrefix;
    this.keys = this.surfaces.map((s) => recordKeys.meta(`${prefix}-${s}`));
    this.now = options.now ?? Date.now;
  }

  /** Loads every surface and starts polling. */
  static async open<D extends VersionedDocument, C>(
    store: StorePort,
    keys: RecordKeys,
    kind: SurfaceConfigKind<D, C>,
    options: SurfaceConfigStoreOptions = {},
  ): Promise<SurfaceConfigStore<D, C>> {
    const configs = new SurfaceConfigStore(store, keys, kind, options);
    await configs.refresh();
    const pollMs = options.pollMs ?? DEFAULT_SURFACE_CONFIG_POLL_MS;
    if (pollMs > 0) {
      configs.timer = setInterval(() => void configs.poll(), pollMs);
      configs.timer.unref();
    }
    return configs;
  }

  /** The surface's document and compiled config (the empty config for an unknown surface). */
  current(surface: string): SurfaceConfigEntry<D, C> {
    return this.entries.get(surface) ?? { doc: null, compiled: this.kind.empty };
  }

  /** Reads every surface's record now and installs what changed. */
  async refresh(): Promise<void> {
    const records = await this.store.batchGet(this.keys);
    records.forEach((record, i) => {
      const surface = this.surfaces[i] as string;
      const raw = record?.bins.doc;
      const doc = typeof raw === "string" ? this.kind.parse(JSON.parse(raw)) : null;
      this.install(surface, doc, record?.gen ?? 0);
    });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      // Only the tiny version bins: documents are read only when a generation moved.
      const heads = await this.store.batchGet(this.keys, ["v"]);
      const moved = heads.some(
        (head, i) => (head?.gen ?? 0) !== (this.gens.get(this.surfaces[i] as string) ?? 0),
      );
      if (moved) await this.refresh();
    } catch (error) {
      this.options.logger?.warn(
        { err: error, kind: this.kind.recordPrefix },
        "surface config poll failed; keeping the last",
      );
    } finally {
      this.polling = false;
    }
  }

  private install(surface: string, doc: D | null, gen: number): void {
    this.gens.set(surface, gen);
    const current = this.entries.get(surface)?.doc;
    if (!doc) return;
    // Versions only grow; never step back to an older document read late.
    if (current && doc.version <= current.version) return;
    this.entries.set(surface, { doc, compiled: this.kind.compile(doc) });
  }

  /**
   * Writes the surface's next version, built by `next` from the fields the
   * caller set; with `expectVersion`, refuses unless the stored version is that one.
   */
  async change(
    surface: string,
    next: (meta: VersionedDocument) => D,
    expectVersion?: number,
  ): Promise<SurfaceChangeResult<D>> {
    const index = this.surfaces.indexOf(surface);
    const key = this.keys[index];
    if (!key) throw new Error(`unknown surface ${surface}`);
    for (let attempt = 0; ; attempt++) {
      const record = await this.store.get(key);
      const raw = record?.bins.doc;
      const stored = typeof raw === "string" ? this.kind.parse(JSON.parse(raw)) : null;
      const version = stored?.version ?? 0;
      if (expectVersion !== undefined && expectVersion !== version) {
        return {
          ok: false,
          code: "conflict",
          message: `expectVersion: the stored version is ${version}, not ${expectVersion}`,
        };
      }
      const doc = next({ surface, version: version + 1, updatedAt: this.now() });
      try {
        const written = await this.store.put(
          key,
          { doc: JSON.stringify(doc), v: doc.version },
          { expectGen: record?.gen ?? 0 },
        );
        this.install(surface, doc, written.gen);
        return { ok: true, doc };
      } catch (error) {
        const conflict = error instanceof StoreError && error.code === "generation_conflict";
        if (!conflict || attempt + 1 >= MAX_CHANGE_ATTEMPTS) throw error;
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
