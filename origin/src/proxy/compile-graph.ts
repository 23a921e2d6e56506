import { MAX_FEATURES_PER_GROUP, MAX_GROUPS } from "#shared/features/serving";
import { ApiError, describeZodIssues } from "#shared/http/api-error";
import {
  GRAPH_INPUTS,
  type GraphColumn,
  type GraphInput,
  type GraphPlanView,
  RetrievalGraph,
} from "#shared/models/graph";
import type { RegistrySnapshot } from "../features/registry/registry-snapshot.js";

/** Where a fetched value is found: the node's entity row, at this index of the entity's fetch list. */
export interface FeatureRef {
  readonly node: number;
  readonly featureIndex: number;
}

export type CompiledKeyPart =
  | { readonly kind: "input"; readonly input: GraphInput }
  | ({ readonly kind: "node" } & FeatureRef);

export interface CompiledNode {
  readonly id: string;
  readonly entity: number;
  readonly level: number;
  /** Keyed per candidate (one key per row) or once per request. */
  readonly perCandidate: boolean;
  readonly key: readonly CompiledKeyPart[];
}

/** One entity's features, read together wherever the entity appears (so no key is read twice). */
export interface EntityFetch {
  readonly entity: string;
  readonly features: readonly string[];
}

export type CompiledColumn =
  | ({ readonly kind: "feature"; readonly name: string; readonly default: number } & FeatureRef)
  | {
      readonly kind: "dot";
      readonly name: string;
      readonly default: number;
      readonly a: FeatureRef;
      readonly b: FeatureRef;
    };

/** A graph compiled against one registry version: levels in dependency order, one read per entity per level. */
export interface GraphPlan {
  readonly registryVersion: number;
  readonly nodes: readonly CompiledNode[];
  readonly entities: readonly EntityFetch[];
  /** Per level, the entities read at it (indexes into `entities`) and the nodes keyed at it. */
  readonly levels: readonly { entity: number; nodes: number[] }[][];
  readonly columns: readonly CompiledColumn[];
  readonly columnNames: readonly string[];
  readonly view: GraphPlanView;
}

/** A graph that cannot be served; `problems` each name the node or column, e.g. `nodes[2] "uc": ...`. */
export class GraphValidationError extends ApiError {
  constructor(readonly problems: readonly string[]) {
    super("invalid_parameter", `graph: ${problems.join("; ")}`);
    this.name = "GraphValidationError";
  }
}

const NUMERIC_TYPES = new Set(["int", "float", "bool"]);

function isInput(name: string): name is GraphInput {
  return (GRAPH_INPUTS as readonly string[]).includes(name);
}

function columnName(column: GraphColumn): string {
  if (column.name) return column.name;
  if ("dot" in column) {
    const [a, b] = column.dot;
    return `dot(${a.node}.${a.feature},${b.node}.${b.feature})`;
  }
  return `${column.node}.${column.feature}`;
}

/**
 * Parses and validates a retrieval graph against a registry snapshot and
 * compiles it into the plan the executor runs. Every problem is collected
 * (not just the first) and names the node or column it is in: unknown
 * inputs, nodes, entities or features, key parts that are not strings or do
 * not match the entity's key, cycles, columns that are not numbers.
 *
 * @throws {GraphValidationError} (400 `invalid_parameter`).
 */
export function compileGraph(input: unknown, snapshot: RegistrySnapshot): GraphPlan {
  const parsed = RetrievalGraph.safeParse(input);
  if (!parsed.success) throw new GraphValidationError([describeZodIssues(parsed.error)]);
  const graph = parsed.data;
  const problems: string[] = [];
  const nodeAt = (i: number) => `nodes[${i}] "${graph.nodes[i]?.id}"`;

  const nodeIndex = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    if (nodeIndex.has(node.id)) problems.push(`${nodeAt(i)}: duplicate node id`);
    else nodeIndex.set(node.id, i);
  });

  // Features each entity must fetch: declared, used by keys and used by columns.
  const entityFeatures = new Map<string, Set<string>>();
  const want = (entity: string, feature: string) => {
    const set = entityFeatures.get(entity) ?? new Set<string>();
    entityFeatures.set(entity, set);
    set.add(feature);
  };

  /** Checks `node.feature` exists and has an allowed type; returns the type or null. */
  // Nodes something reads from; a node nobody reads would cost a store read for nothing.
  const used = new Set<string>();
  const checkRef = (where: string, ref: { node: string; feature: string }): string | null => {
    used.add(ref.node);
    const i = nodeIndex.get(ref.node);
    if (i === undefined) {
      problems.push(`${where}: unknown node "${ref.node}"`);
      return null;
    }
    const entityName = graph.nodes[i]?.entity as string;
    const entity = snapshot.entities.get(entityName);
    if (!entity) return null; // reported on the node itself
    const feature = entity.features.get(ref.feature);
    if (!feature) {
      problems.push(`${where}: unknown feature "${ref.feature}" of entity ${entityName}`);
      return null;
    }
    want(entityName, ref.feature);
    return feature.def.type;
  };

  graph.nodes.forEach((node, i) => {
    const entity = snapshot.entities.get(node.entity);
    if (!entity) {
      problems.push(`${nodeAt(i)}: unknown entity "${node.entity}"`);
      return;
    }
    if (!entityFeatures.has(node.entity)) entityFeatures.set(node.entity, new Set());
    for (const feature of node.features) {
      if (!entity.features.has(feature)) {
        problems.push(
          `${nodeAt(i)}.features: unknown feature "${feature}" of entity ${node.entity}`,
        );
      } else {
        want(node.entity, feature);
      }
    }
    const parts = entity.def.keyParts;
    if (node.key.length !== parts.length) {
      problems.push(
        `${nodeAt(i)}.key: entity ${node.entity} has ${parts.length} key part(s) (${parts.join("|")}), got ${node.key.length}`,
      );
    }
    node.key.forEach((part, k) => {
      const where = `${nodeAt(i)}.key[${k}]`;
      if ("input" in part) {
        if (!isInput(part.input)) {
          problems.push(
            `${where}: unknown input "${part.input}" (expected one of ${GRAPH_INPUTS.join(", ")})`,
          );
        }
        return;
      }
      if (part.node === node.id) {
        problems.push(`${where}: node derives its key from itself`);
        return;
      }
      const type = checkRef(where, part);
      if (type !== null && type !== "string") {
        problems.push(
          `${where}: key derived from ${part.node}.${part.feature}, a ${type} feature; keys come from string features`,
        );
      }
    });
  });

  const names = new Set<string>();
  graph.columns.forEach((column, j) => {
    const where = `columns[${j}]`;
    const name = columnName(column);
    if (names.has(name)) problems.push(`${where}: duplicate column name "${name}"`);
    names.add(name);
    if ("dot" in column) {
      column.dot.forEach((ref, side) => {
        const type = checkRef(`${where}.dot[${side}]`, ref);
        if (type !== null && type !== "vector") {
          problems.push(
            `${where}.dot[${side}]: ${ref.node}.${ref.feature} is a ${type} feature; dot takes vectors`,
          );
        }
      });
      return;
    }
    const type = checkRef(where, column);
    if (type !== null && !NUMERIC_TYPES.has(type)) {
      problems.push(
        `${where}: ${column.node}.${column.feature} is a ${type} feature; columns must be numbers (int, float, bool)`,
      );
    }
  });

  graph.nodes.forEach((node, i) => {
    if (!used.has(node.id) && node.features.length === 0) {
      problems.push(
        `${nodeAt(i)}: fetches nothing (no column or key reads it and it lists no features)`,
      );
    }
  });

  const levels = problems.length === 0 ? nodeLevels(graph.nodes, nodeIndex, problems) : null;
  if (problems.length > 0 || levels === null) throw new GraphValidationError(problems);

  const entities: EntityFetch[] = [];
  const entityIndex = new Map<string, number>();
  const featureIndex = new Map<string, Map<string, number>>();
  for (const [entity, features] of entityFeatures) {
    entityIndex.set(entity, entities.length);
    const list = [...features];
    entities.push({ entity, features: list });
    featureIndex.set(entity, new Map(list.map((f, k) => [f, k])));
  }
  const ref = (r: { node: string; feature: string }): FeatureRef => {
    const node = nodeIndex.get(r.node) as number;
    const entity = graph.nodes[node]?.entity as string;
    return { node, featureIndex: featureIndex.get(entity)?.get(r.feature) as number };
  };

  const perCandidate: boolean[] = [];
  const order = graph.nodes
    .map((_, i) => i)
    .sort((a, b) => (levels[a] as number) - (levels[b] as number));
  for (const i of order) {
    const node = at(graph.nodes, i);
    perCandidate[i] = node.key.some((part) =>
      "input" in part
        ? part.input === "candidate"
        : perCandidate[nodeIndex.get(part.node) as number],
    );
  }
  const nodes: CompiledNode[] = graph.nodes.map((node, i) => ({
    id: node.id,
    entity: entityIndex.get(node.entity) as number,
    level: levels[i] as number,
    perCandidate: perCandidate[i] as boolean,
    key: node.key.map(
      (part): CompiledKeyPart =>
        "input" in part
          ? { kind: "input", input: part.input as GraphInput }
          : { kind: "node", ...ref(part) },
    ),
  }));

  const depth = Math.max(...nodes.map((n) => n.level)) + 1;
  const planLevels: { entity: number; nodes: number[] }[][] = Array.from(
    { length: depth },
    () => [],
  );
  nodes.forEach((node, i) => {
    const level = at(planLevels, node.level);
    const found = level.find((g) => g.entity === node.entity);
    const group = found ?? { entity: node.entity, nodes: [] };
    if (!found) level.push(group);
    group.nodes.push(i);
  });
  // What one FeatureServer.get accepts: a graph it would refuse at rank time is refused now.
  planLevels.forEach((groups, level) => {
    if (groups.length > MAX_GROUPS) {
      problems.push(`level ${level} reads ${groups.length} entities; at most ${MAX_GROUPS}`);
    }
  });
  for (const fetch of entities) {
    if (fetch.features.length > MAX_FEATURES_PER_GROUP) {
      problems.push(
        `entity ${fetch.entity}: ${fetch.features.length} features; at most ${MAX_FEATURES_PER_GROUP}`,
      );
    }
  }
  if (problems.length > 0) throw new GraphValidationError(problems);

  const columns: CompiledColumn[] = graph.columns.map((column) => {
    const name = columnName(column);
    const fallback = column.default ?? Number.NaN;
    if ("dot" in column) {
      return { kind: "dot", name, default: fallback, a: ref(column.dot[0]), b: ref(column.dot[1]) };
    }
    return { kind: "feature", name, default: fallback, ...ref(column) };
  });
  const columnNames = columns.map((c) => c.name);

  const describeKey = (node: CompiledNode) =>
    node.key
      .map((part) =>
        part.kind === "input"
          ? part.input
          : `${nodes[part.node]?.id}.${entities[at(nodes, part.node).entity]?.features[part.featureIndex]}`,
      )
      .join("|");
  const view: GraphPlanView = {
    columns: [...columnNames],
    levels: planLevels.map((groups, level) => ({
      level,
      groups: groups.map((g) => ({
        entity: at(entities, g.entity).entity,
        nodes: g.nodes.map((n) => at(nodes, n).id),
        features: [...at(entities, g.entity).features],
        keys: g.nodes.map((n) => `${at(nodes, n).id}: ${describeKey(at(nodes, n))}`),
      })),
    })),
  };
  return {
    registryVersion: snapshot.version,
    nodes,
    entities,
    levels: planLevels,
    columns,
    columnNames,
    view,
  };
}

/** Level of each node (0 = keyed by inputs only), or null after reporting a cycle. */
function nodeLevels(
  nodes: readonly { id: string; key: readonly ({ input: string } | { node: string })[] }[],
  index: ReadonlyMap<string, number>,
  problems: string[],
): number[] | null {
  const level: number[] = new Array(nodes.length).fill(-1);
  const state: number[] = new Array(nodes.length).fill(0); // 0 new, 1 on the stack, 2 done
  const stack: string[] = [];
  const visit = (i: number): boolean => {
    if (state[i] === 2) return true;
    const node = at(nodes, i);
    if (state[i] === 1) {
      const from = stack.indexOf(node.id);
      problems.push(
        `nodes[${i}] "${node.id}": cycle ${[...stack.slice(from), node.id].join(" -> ")}`,
      );
      return false;
    }
    state[i] = 1;
    stack.push(node.id);
    let deepest = -1;
    for (const part of node.key) {
      if (!("node" in part)) continue;
      const j = index.get(part.node) as number;
      if (!visit(j)) return false;
      deepest = Math.max(deepest, level[j] as number);
    }
    stack.pop();
    state[i] = 2;
    level[i] = deepest + 1;
    return true;
  };
  for (let i = 0; i < nodes.length; i++) if (!visit(i)) return null;
  return level;
}

/** An element the compiler has already checked exists (indexes it built itself). */
function at<T>(list: readonly T[], index: number): T {
  return list[index] as T;
}
