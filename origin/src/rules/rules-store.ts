import { type Rule, RulesDocument } from "#shared/rules/rules-config";
import type { RecordKeys } from "../catalog/record-keys.js";
import type { StorePort } from "../store/port.js";
import { type CompiledRules, compileRules, NO_RULES } from "./compile-rules.js";
import {
  type SurfaceChangeResult,
  SurfaceConfigStore,
  type SurfaceConfigStoreOptions,
} from "./surface-config-store.js";

/** Business rules per surface (records `meta/rules-<surface>`), compiled once per version. */
export class RulesStore {
  private constructor(private readonly configs: SurfaceConfigStore<RulesDocument, CompiledRules>) {}

  static async open(
    store: StorePort,
    keys: RecordKeys,
    options: SurfaceConfigStoreOptions = {},
  ): Promise<RulesStore> {
    const configs = await SurfaceConfigStore.open(
      store,
      keys,
      {
        recordPrefix: "rules",
        parse: (raw) => RulesDocument.parse(raw),
        compile: (doc) => compileRules(doc.rules, doc.version),
        empty: NO_RULES,
      },
      options,
    );
    return new RulesStore(configs);
  }

  /** The surface's compiled rules for `applyRules` (no rules: `NO_RULES`, version 0). */
  current(surface: string): CompiledRules {
    return this.configs.current(surface).compiled;
  }

  /** The stored document, or `null` if the surface never had rules. */
  document(surface: string): RulesDocument | null {
    return this.configs.current(surface).doc;
  }

  /** Replaces the surface's rules (already validated with `RulesPutRequest`). */
  put(
    surface: string,
    rules: Rule[],
    expectVersion?: number,
  ): Promise<SurfaceChangeResult<RulesDocument>> {
    return this.configs.change(surface, (meta) => ({ ...meta, rules }), expectVersion);
  }

  refresh(): Promise<void> {
    return this.configs.refresh();
  }

  close(): void {
    this.configs.close();
  }
}
