import { LightgbmModel } from "./lightgbm/lightgbm-model.js";
import { parseLightgbm } from "./lightgbm/parse-lightgbm.js";
import { LinearModel } from "./linear/linear-model.js";
import { parseLinear } from "./linear/parse-linear.js";
import type { Model, ModelFormat } from "./model.js";
import { ModelFormatError } from "./model-format-error.js";
import { parseXgboost } from "./xgboost/parse-xgboost.js";
import { XgboostModel } from "./xgboost/xgboost-model.js";

/**
 * Detects the format of an uploaded model file and builds its evaluator:
 * XGBoost JSON (`Booster.save_model("m.json")`), LightGBM text
 * (`Booster.save_model("model.txt")`) or our linear JSON. Parsing happens
 * once here; the returned model only scores.
 *
 * @throws {ModelFormatError} (an `ApiError`, 400) naming the field that is wrong.
 * @example
 * const model = loadModel(await readFile("m.json", "utf8"));
 * const scores = model.predict(matrix, rows);
 */
export function loadModel(source: string | Uint8Array, expected?: ModelFormat): Model {
  const decoded = typeof source === "string" ? source : decodeUtf8(source);
  // Some editors save a byte-order mark, which JSON.parse rejects.
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  const format = detectFormat(text);
  if (expected && format !== expected) {
    throw new ModelFormatError("unknown", "", `expected a ${expected} model, got ${format}`);
  }
  if (format === "lightgbm-text") return new LightgbmModel(parseLightgbm(text));
  const doc = parseModelJson(text, format);
  if (format === "linear-json") return new LinearModel(parseLinear(doc));
  return new XgboostModel(parseXgboost(doc));
}

/** Like {@link loadModel} but returns the failure instead of throwing it. */
export function tryLoadModel(
  source: string | Uint8Array,
  expected?: ModelFormat,
): { ok: true; model: Model } | { ok: false; error: ModelFormatError } {
  try {
    return { ok: true, model: loadModel(source, expected) };
  } catch (error) {
    if (error instanceof ModelFormatError) return { ok: false, error };
    throw error;
  }
}

/** Sniffs the format from the first bytes; the parsers do the real checking. */
export function detectFormat(text: string): ModelFormat {
  const head = text.trimStart();
  if (head.startsWith("{")) {
    // Cheap look at the top-level keys without parsing megabytes twice.
    if (/^\{\s*"learner"\s*:/.test(head) || /"learner"\s*:\s*\{/.test(head.slice(0, 4096))) {
      return "xgboost-json";
    }
    if (/"format"\s*:\s*"linear"/.test(head.slice(0, 4096))) return "linear-json";
    if (/"tree_info"\s*:\s*\[/.test(head) && /"num_tree_per_iteration"/.test(head.slice(0, 4096))) {
      throw new ModelFormatError(
        "unknown",
        "",
        "this is LightGBM dump_model() JSON, which we do not read: upload the save_model() text file (model.txt)",
      );
    }
    throw new ModelFormatError(
      "unknown",
      "",
      'JSON without a "learner" object (XGBoost save_model JSON) or "format": "linear" (linear model)',
    );
  }
  if (/^tree\r?\n/.test(head) || /^version=v\d/m.test(head.slice(0, 4096))) return "lightgbm-text";
  throw new ModelFormatError(
    "unknown",
    "",
    "unrecognised model file: expected XGBoost JSON (save_model('m.json'); binary .ubj/.model files are not supported), LightGBM text (save_model('model.txt')) or a linear model JSON",
  );
}

/**
 * XGBoost 1.x writes a bare `NaN` as the (unused) split condition of
 * categorical splits, which is not JSON. Such values become `null`; the
 * parser accepts `null` only where a number is never read.
 */
const BARE_NON_FINITE = /([[,:]\s*)-?(?:NaN|Infinity)(?=\s*[\],}])/g;

/** `JSON.parse` that also reads XGBoost 1.x files with bare `NaN`; throws `ModelFormatError`. */
export function parseModelJson(text: string, format: ModelFormat): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const repaired = format === "xgboost-json" ? text.replace(BARE_NON_FINITE, "$1null") : text;
    if (repaired !== text) {
      try {
        return JSON.parse(repaired);
      } catch {
        // Fall through to the original error, which is about the file as uploaded.
      }
    }
    throw new ModelFormatError(
      format,
      "",
      `not valid JSON (${(error as Error).message}); XGBoost UBJSON (.ubj) must be re-saved as .json`,
    );
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ModelFormatError(
      "unknown",
      "",
      "the file is not UTF-8 text (binary XGBoost .ubj/.model files are not supported; save as .json)",
    );
  }
}
