import type { Transform } from "../transforms.js";

/**
 * How an XGBoost objective turns the saved `base_score` into the starting
 * margin (`ProbToMargin`) and margins into predictions (`PredTransform`).
 */
export interface XgboostObjective {
  baseToMargin: (base: number) => number;
  transform: Transform;
}

const asIs = (base: number) => base;
const logit = (base: number) => -Math.log(1 / base - 1);
const log = (base: number) => Math.log(base);

const IDENTITY: Transform = { kind: "identity" };

/**
 * Supported objectives. `binary:logitraw` took its base score as a
 * probability (logit) before XGBoost 1.6 and as a margin since (checked on
 * 1.7.4 and 3.x files; the 1.6 boundary is from the source history).
 */
export function xgboostObjective(name: string, version: number): XgboostObjective | undefined {
  switch (name) {
    case "binary:logistic":
    case "reg:logistic":
      return { baseToMargin: logit, transform: { kind: "sigmoid", scale: 1 } };
    case "binary:logitraw":
      return { baseToMargin: version >= 1.6 ? asIs : logit, transform: IDENTITY };
    case "binary:hinge":
      return { baseToMargin: asIs, transform: { kind: "hinge" } };
    case "multi:softprob":
      return { baseToMargin: asIs, transform: { kind: "softmax" } };
    case "multi:softmax":
      return { baseToMargin: asIs, transform: { kind: "argmax" } };
    case "reg:squarederror":
    case "reg:linear":
    case "reg:squaredlogerror":
    case "reg:pseudohubererror":
    case "reg:absoluteerror":
    case "reg:quantileerror":
    case "rank:pairwise":
    case "rank:ndcg":
    case "rank:map":
      return { baseToMargin: asIs, transform: IDENTITY };
    case "reg:gamma":
    case "reg:tweedie":
    case "count:poisson":
    case "survival:cox":
    case "survival:aft":
      return { baseToMargin: log, transform: { kind: "exp" } };
    default:
      return undefined;
  }
}

export const SUPPORTED_XGBOOST_OBJECTIVES = [
  "binary:logistic",
  "reg:logistic",
  "binary:logitraw",
  "binary:hinge",
  "multi:softprob",
  "multi:softmax",
  "reg:squarederror",
  "reg:linear",
  "reg:squaredlogerror",
  "reg:pseudohubererror",
  "reg:absoluteerror",
  "reg:quantileerror",
  "reg:gamma",
  "reg:tweedie",
  "count:poisson",
  "survival:cox",
  "survival:aft",
  "rank:pairwise",
  "rank:ndcg",
  "rank:map",
] as const;
