import { z } from "zod";
import { Name } from "../features/definitions.js";

/**
 * A model's feature-retrieval graph, as config: which entities to read for a
 * rank request, how their keys are derived from the request and from
 * features fetched earlier, and which numbers become the model's columns, in
 * order. Validated against the live feature registry on upload
 * (`origin/src/proxy/compile-graph.ts`), so an error names the node.
 *
 * @example
 * {
 *   nodes: [
 *     { id: "item", entity: "item", key: [{ input: "candidate" }], features: ["price"] },
 *     { id: "uc", entity: "user_category",
 *       key: [{ input: "userId" }, { node: "item", feature: "category" }], features: ["affinity"] },
 *   ],
 *   columns: [{ node: "item", feature: "price" }, { node: "uc", feature: "affinity", default: 0 }],
 * }
 */

/** What a rank request carries; `candidate` is one candidate item id per matrix row. */
export const GRAPH_INPUTS = ["candidate", "userId", "sessionId", "region", "surface"] as const;
export type GraphInput = (typeof GRAPH_INPUTS)[number];

/** One part of an entity key: a request input, or a string feature of an earlier node. */
export const KeyPart = z.union([
  z.object({ input: z.string().min(1).max(32) }).strict(),
  z.object({ node: Name, feature: Name }).strict(),
]);
export type KeyPart = z.infer<typeof KeyPart>;

/** Bounds that keep one graph to a handful of batched reads. */
export const MAX_GRAPH_NODES = 32;
export const MAX_GRAPH_COLUMNS = 500;

export const GraphNode = z
  .object({
    /** Referenced by key parts and columns. */
    id: Name,
    entity: Name,
    /** One part per key part of the entity, in the entity's order. */
    key: z.array(KeyPart).min(1).max(4),
    /** Features to fetch (those used by columns and keys are fetched anyway). */
    features: z.array(Name).max(MAX_GRAPH_COLUMNS).default([]),
  })
  .strict();
export type GraphNode = z.infer<typeof GraphNode>;

const ColumnDefault = z.number().optional();

export const GraphColumn = z.union([
  /** A numeric feature (int, float or bool as 0/1). */
  z
    .object({
      name: z.string().min(1).max(96).optional(),
      node: Name,
      feature: Name,
      default: ColumnDefault,
    })
    .strict(),
  /** The dot product of two vector features, e.g. user embedding · item embedding. */
  z
    .object({
      name: z.string().min(1).max(96).optional(),
      dot: z.tuple([
        z.object({ node: Name, feature: Name }).strict(),
        z.object({ node: Name, feature: Name }).strict(),
      ]),
      default: ColumnDefault,
    })
    .strict(),
]);
export type GraphColumn = z.infer<typeof GraphColumn>;

export const RetrievalGraph = z
  .object({
    nodes: z.array(GraphNode).min(1).max(MAX_GRAPH_NODES),
    columns: z.array(GraphColumn).min(1).max(MAX_GRAPH_COLUMNS),
  })
  .strict();
export type RetrievalGraph = z.infer<typeof RetrievalGraph>;
export type RetrievalGraphInput = z.input<typeof RetrievalGraph>;

/** The compiled plan as `GET /admin/models/:id` shows it, for debugging. */
export const GraphPlanView = z.object({
  columns: z.array(z.string()),
  levels: z.array(
    z.object({
      level: z.number().int(),
      groups: z.array(
        z.object({
          entity: z.string(),
          nodes: z.array(z.string()),
          features: z.array(z.string()),
          /** How each node's keys are formed, e.g. `user_category: userId|item.category`. */
          keys: z.array(z.string()),
        }),
      ),
    }),
  ),
});
export type GraphPlanView = z.infer<typeof GraphPlanView>;
