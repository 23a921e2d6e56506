import { type CompiledExperiment, compileExperiment } from "#shared/experiments/assign-arm";
import { type ExperimentConfig, ExperimentDocument } from "#shared/experiments/experiment-config";
import type { RecordKeys } from "../catalog/record-keys.js";
// The versioned per-surface record, polling and generation check are the rules' own mechanism.
import {
  type SurfaceChangeResult,
  SurfaceConfigStore,
  type SurfaceConfigStoreOptions,
} from "../rules/surface-config-store.js";
import type { StorePort } from "../store/port.js";

/** Experiments per surface (records `meta/experiment-<surface>`), compiled once per version. */
export class ExperimentsStore {
  private constructor(
    private readonly configs: SurfaceConfigStore<ExperimentDocument, CompiledExperiment | null>,
  ) {}

  static async open(
    store: StorePort,
    keys: RecordKeys,
    options: SurfaceConfigStoreOptions = {},
  ): Promise<ExperimentsStore> {
    const configs = await SurfaceConfigStore.open(
      store,
      keys,
      {
        recordPrefix: "experiment",
        parse: (raw) => ExperimentDocument.parse(raw),
        compile: (doc): CompiledExperiment | null => compileExperiment(doc.experiment, doc.version),
        empty: null,
      },
      options,
    );
    return new ExperimentsStore(configs);
  }

  /** The surface's experiment for `assignArm`, or `null` if it has none (use the active model). */
  current(surface: string): CompiledExperiment | null {
    return this.configs.current(surface).compiled;
  }

  document(surface: string): ExperimentDocument | null {
    return this.configs.current(surface).doc;
  }

  /** Replaces the surface's experiment (already validated with `ExperimentPutRequest`). */
  put(
    surface: string,
    experiment: ExperimentConfig,
    expectVersion?: number,
  ): Promise<SurfaceChangeResult<ExperimentDocument>> {
    return this.configs.change(surface, (meta) => ({ ...meta, experiment }), expectVersion);
  }

  refresh(): Promise<void> {
    return this.configs.refresh();
  }

  close(): void {
    this.configs.close();
  }
}
