import type { Transform } from "../transforms.js";

/**
 * Parses LightGBM's saved `objective=` line (`binary sigmoid:1`,
 * `multiclass num_class:3`, `regression sqrt`, ...) into the transform its
 * `predict()` applies. Returns a problem description for anything else.
 */
export function lightgbmTransform(
  line: string,
  numClass: number,
): { transform: Transform } | { problem: string } {
  const [name = "", ...rest] = line.trim().split(/\s+/);
  const params = new Map<string, string>();
  const flags = new Set<string>();
  for (const token of rest) {
    const colon = token.indexOf(":");
    if (colon < 0) flags.add(token);
    else params.set(token.slice(0, colon), token.slice(colon + 1));
  }
  const sigmoid = () => {
    const scale = Number(params.get("sigmoid"));
    return Number.isFinite(scale) && scale > 0
      ? { transform: { kind: "sigmoid", scale } as Transform }
      : { problem: `"${name}" needs a positive sigmoid:<k> parameter, got "${line}"` };
  };
  const classes = () => {
    const k = Number(params.get("num_class"));
    return k === numClass
      ? undefined
      : `num_class:${params.get("num_class")} disagrees with num_class=${numClass}`;
  };
  switch (name) {
    case "regression":
    case "regression_l1":
    case "huber":
    case "fair":
    case "quantile":
    case "mape":
      return { transform: flags.has("sqrt") ? { kind: "signedSquare" } : { kind: "identity" } };
    case "poisson":
    case "gamma":
    case "tweedie":
      return { transform: { kind: "exp" } };
    case "binary":
      return sigmoid();
    case "cross_entropy":
    case "xentropy":
      return { transform: { kind: "sigmoid", scale: 1 } };
    case "cross_entropy_lambda":
    case "xentlambda":
      return { transform: { kind: "log1pExp" } };
    case "multiclass": {
      const problem = classes();
      return problem ? { problem } : { transform: { kind: "softmax" } };
    }
    case "multiclassova": {
      const problem = classes();
      return problem ? { problem } : sigmoid();
    }
    case "lambdarank":
    case "rank_xendcg":
    case "custom":
    case "none":
      return { transform: { kind: "identity" } };
    default:
      return {
        problem: `objective "${name}" is not supported; supported: regression (and l1, huber, fair, quantile, mape), poisson, gamma, tweedie, binary, cross_entropy, cross_entropy_lambda, multiclass, multiclassova, lambdarank, rank_xendcg, custom`,
      };
  }
}
