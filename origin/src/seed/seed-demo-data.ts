import type { RecordKeys } from "../catalog/record-keys.js";
import type { FeatureServices } from "../features/feature-services.js";
import type { StorePort } from "../store/port.js";
import { DEMO_DATA_VERSION, generateDemoData } from "./demo-data.js";
import { seedDemoFeatures } from "./seed-demo-features.js";

/** How many of the popularity list are kept: more than any page shows, small enough for one record. */
const POPULAR_LIST_LENGTH = 500;
/** Writes in flight at once; LMDB batches them into shared commits. */
const WRITE_CHUNK = 500;

async function inChunks<T>(
  values: readonly T[],
  write: (value: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < values.length; i += WRITE_CHUNK) {
    await Promise.all(values.slice(i, i + WRITE_CHUNK).map(write));
  }
}

/**
 * Seeds the deterministic demo data set unless this store already holds the
 * same version; returns whether it wrote anything. Safe to run on every start.
 */
export async function seedDemoData(
  store: StorePort,
  keys: RecordKeys,
  features: FeatureServices,
): Promise<{ seeded: boolean; items: number; users: number }> {
  const marker = await store.get(keys.meta("demo-seed"));
  if (marker?.bins.version === DEMO_DATA_VERSION) {
    return { seeded: false, items: Number(marker.bins.items), users: Number(marker.bins.users) };
  }
  const data = generateDemoData();
  await inChunks(data.items, (item) =>
    store.put(keys.item(item.id), {
      title: item.title,
      cat: item.category,
      brand: item.brand,
      price: item.price,
      inStock: item.inStock,
      emb: new Uint8Array(item.embedding.buffer),
    }),
  );
  await inChunks(data.users, (user) =>
    store.put(keys.user(user.id), { history: user.history, aff: user.affinity }),
  );
  await seedDemoFeatures(features, data);
  const top = data.popular.slice(0, POPULAR_LIST_LENGTH);
  await store.put(keys.popular("global"), {
    items: top.map((p) => p.id),
    scores: top.map((p) => p.score),
    computedAt: Date.now(),
  });
  // The marker goes last: a seed interrupted half-way is redone on the next start.
  await store.put(keys.meta("demo-seed"), {
    version: DEMO_DATA_VERSION,
    items: data.items.length,
    users: data.users.length,
    seededAt: Date.now(),
  });
  return { seeded: true, items: data.items.length, users: data.users.length };
}
