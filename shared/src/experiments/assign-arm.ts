import type { ExperimentArm } from "./experiment-config.js";

/**
 * Experiment assignment, shared by the origin (which scores with the arm's
 * model) and the edge (which keys its inference cache by it): one
 * implementation, so both sides put a shopper in the same arm.
 */

/** What assignment needs of an arm; the origin's arms carry a model id, the edge's a resolved model. */
export interface WeightedArm {
  name: string;
  weight: number;
}

/** An experiment ready to assign: cumulative weights built once per version. */
export interface CompiledExperiment<A extends WeightedArm = ExperimentArm> {
  version: number;
  salt: string;
  arms: readonly A[];
  /** `cumulative[i]` = sum of weights of arms 0..i; the last is the total. */
  cumulative: Float64Array;
}

export function compileExperiment<A extends WeightedArm>(
  config: { arms: readonly A[]; salt: string },
  version = 0,
): CompiledExperiment<A> {
  const cumulative = new Float64Array(config.arms.length);
  let total = 0;
  config.arms.forEach((arm, i) => {
    total += arm.weight;
    cumulative[i] = total;
  });
  return { version, salt: config.salt, arms: config.arms, cumulative };
}

/**
 * FNV-1a (32-bit) over UTF-16 code units, then murmur3's finaliser: FNV alone
 * mixes the last characters weakly, and ids often differ only there (u0001, u0002).
 */
export function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The arm of `unitId` (the user id, else the session id): the hash of
 * `salt:unitId` scaled into [0, total weight) picks the arm whose cumulative
 * weight range holds it. Deterministic: the same unit gets the same arm for as
 * long as salt and weights are unchanged, in every process and region.
 *
 * @example
 * const arm = assignArm(experiments.current("home")!, userId ?? sessionId);
 * // arm.modelId, arm.version: the model to score with; arm.name goes into the response and log
 */
export function assignArm<A extends WeightedArm>(
  experiment: CompiledExperiment<A>,
  unitId: string,
): A {
  const { cumulative, arms } = experiment;
  const total = cumulative[cumulative.length - 1] as number;
  const point = (hashUnit(`${experiment.salt}:${unitId}`) / 2 ** 32) * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (point < (cumulative[i] as number)) return arms[i] as A;
  }
  return arms[arms.length - 1] as A;
}

/**
 * The arm for a request: by user id when signed in (sticky across devices),
 * else by session id; `null` when the surface has no experiment or the
 * request has neither id (the caller serves the model's active version).
 *
 * @example
 * const arm = armFor(deps.experiments.current(surface), { userId, sessionId });
 * const modelVersion = arm?.version ?? active.version;
 */
export function armFor<A extends WeightedArm>(
  experiment: CompiledExperiment<A> | null,
  unit: { userId?: string; sessionId?: string },
): A | null {
  const id = unit.userId ?? unit.sessionId;
  if (!experiment || id === undefined) return null;
  return assignArm(experiment, id);
}
