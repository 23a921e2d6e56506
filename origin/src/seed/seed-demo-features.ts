import type { FeatureDefinitionInput } from "#shared/features/definitions";
import type { FeatureServices } from "../features/feature-services.js";
import { writeFeatures } from "../features/write/write-features.js";
import { type DemoData, EMBEDDING_DIM } from "./demo-data.js";

/** Rows per `writeFeatures` call: the same batch size as the backfill CLI's default. */
const ROWS_PER_BATCH = 500;

/** The demo catalog's batch features, as an admin would declare them. */
export const DEMO_FEATURES: FeatureDefinitionInput[] = [
  {
    entity: "item",
    name: "category",
    type: "string",
    default: "",
    description: "Catalog category",
  },
  { entity: "item", name: "brand", type: "string", default: "", description: "Brand" },
  { entity: "item", name: "price", type: "float", description: "List price in INR" },
  { entity: "item", name: "in_stock", type: "bool", default: false, description: "In stock" },
  {
    entity: "item",
    name: "embedding",
    type: "vector",
    dim: EMBEDDING_DIM,
    description: "32-d content embedding, clustered by category, unit length",
  },
  {
    entity: "user",
    name: "category_affinity",
    type: "map",
    default: {},
    description: "Share of the user's history per category (batch, from the history)",
  },
  {
    entity: "user",
    name: "history_length",
    type: "int",
    default: 0,
    description: "Items in the user's history",
  },
];

async function inBatches(
  features: FeatureServices,
  entity: string,
  rows: readonly unknown[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_BATCH) {
    const result = await writeFeatures(features.writer, entity, rows.slice(i, i + ROWS_PER_BATCH));
    const first = result.errors[0];
    if (first) throw new Error(`demo ${entity} row ${i + first.index}: ${first.reason}`);
  }
}

/** Declares the demo features and writes them through the batch write path. */
export async function seedDemoFeatures(features: FeatureServices, data: DemoData): Promise<void> {
  for (const definition of DEMO_FEATURES) {
    const result = await features.registry.putFeature(definition);
    if (!result.ok) throw new Error(`demo feature ${definition.name}: ${result.message}`);
  }
  await inBatches(
    features,
    "item",
    data.items.map((item) => ({
      key: item.id,
      values: {
        category: item.category,
        brand: item.brand,
        price: item.price,
        in_stock: item.inStock,
        embedding: Array.from(item.embedding),
      },
    })),
  );
  await inBatches(
    features,
    "user",
    data.users.map((user) => ({
      key: user.id,
      values: { category_affinity: user.affinity, history_length: user.history.length },
    })),
  );
}
