import { createRandom } from "#shared/random/prng";
import { TAXONOMY } from "./catalog-taxonomy.js";

/** Bump when the generator changes, so `npm run dev` reseeds instead of reusing stale data. */
export const DEMO_DATA_VERSION = 2;
export const EMBEDDING_DIM = 32;

export interface DemoItem {
  id: string;
  title: string;
  category: string;
  brand: string;
  price: number;
  inStock: boolean;
  embedding: Float32Array;
}

export interface DemoUser {
  id: string;
  /** Item ids, newest first. */
  history: string[];
  /** Category -> share of the history. */
  affinity: Record<string, number>;
}

export interface DemoData {
  items: DemoItem[];
  users: DemoUser[];
  /** Item ids by popularity (history counts), best first, with scores in [0, 1]. */
  popular: { id: string; score: number }[];
}

function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * scale;
  return vector;
}

/**
 * A deterministic catalog and shopper base: items spread over real-looking
 * categories, brands and price bands, embeddings clustered by category, and
 * users whose histories favour two or three categories and popular items.
 */
export function generateDemoData(itemCount = 5_000, userCount = 1_000, seed = 20261123): DemoData {
  const random = createRandom(seed);
  const centroids = new Map(
    TAXONOMY.map((category) => [
      category.id,
      normalize(Float32Array.from({ length: EMBEDDING_DIM }, () => random.gaussian())),
    ]),
  );

  const items: DemoItem[] = [];
  const byCategory = new Map<string, DemoItem[]>();
  for (let i = 0; i < itemCount; i++) {
    const category = random.pick(TAXONOMY);
    const brand = random.pick(category.brands);
    const [low, high] = category.price;
    // Prices cluster at the cheap end of the band and end in 9, like real listings.
    const price = Math.round((low + (high - low) * random.next() ** 2) / 10) * 10 - 1;
    const centroid = centroids.get(category.id) as Float32Array;
    const embedding = normalize(Float32Array.from(centroid, (v) => v + 0.35 * random.gaussian()));
    const item: DemoItem = {
      id: `i${String(i).padStart(5, "0")}`,
      title: `${brand} ${category.id.replace(/-/g, " ")} #${i}`,
      category: category.id,
      brand,
      price: Math.max(price, 9),
      inStock: random.next() > 0.08,
      embedding,
    };
    items.push(item);
    const list = byCategory.get(category.id) ?? [];
    list.push(item);
    byCategory.set(category.id, list);
  }

  const counts = new Map<string, number>();
  const users: DemoUser[] = [];
  for (let u = 0; u < userCount; u++) {
    const favourites = Array.from({ length: random.int(2, 3) }, () => random.pick(TAXONOMY).id);
    const history: string[] = [];
    const length = random.int(5, 40);
    while (history.length < length) {
      const category = random.next() < 0.85 ? random.pick(favourites) : random.pick(TAXONOMY).id;
      const pool = byCategory.get(category) ?? items;
      // Squaring skews picks towards the front of each category: a few hits, a long tail.
      const item = pool[Math.floor(random.next() ** 2 * pool.length)] as DemoItem;
      if (history.includes(item.id)) continue;
      history.push(item.id);
      counts.set(item.id, (counts.get(item.id) ?? 0) + 1);
    }
    const affinity: Record<string, number> = {};
    for (const id of history) {
      const category = items[Number(id.slice(1))]?.category as string;
      affinity[category] = (affinity[category] ?? 0) + 1 / history.length;
    }
    users.push({ id: `u${String(u).padStart(4, "0")}`, history, affinity });
  }

  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const top = ranked[0]?.[1] ?? 1;
  const popular = ranked.map(([id, count]) => ({
    id,
    score: Math.round((count / top) * 1e4) / 1e4,
  }));
  return { items, users, popular };
}
