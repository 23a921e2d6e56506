import {
  bucketIndex,
  featureRecordKey,
  joinKey,
  regionalBin,
} from "../../../src/features/layout.js";
import { SYSTEM_FEATURES, systemBin } from "../../../src/features/system-features.js";
import type { Bins, StorePort } from "../../../src/store/port.js";

const VIEWS_24H = SYSTEM_FEATURES.find((f) => f.entity === "item_region" && f.name === "views_24h");
if (VIEWS_24H?.storage.kind !== "window_count") throw new Error("views_24h must be a window count");
const BUCKET_SECONDS = VIEWS_24H.storage.bucketSeconds;

/**
 * How many views of `item` in `region` the real-time features hold for the
 * last day (the `views_24h` window count, this region's bin), read straight
 * from the store layout. Counting this is how tests prove "applied once".
 */
export async function viewsCounted(
  store: StorePort,
  ns: string,
  item: string,
  region: string,
): Promise<number> {
  const record = await store.get(featureRecordKey(ns, "item_region", joinKey([item, region])));
  const buckets = record?.bins[regionalBin(systemBin("item_region", "views_24h"), region)];
  if (!buckets || typeof buckets !== "object" || Array.isArray(buckets)) return 0;
  const oldest = bucketIndex(Date.now(), BUCKET_SECONDS) - 24;
  let sum = 0;
  for (const [bucket, count] of Object.entries(buckets)) {
    if (Number(bucket) > oldest && typeof count === "number") sum += count;
  }
  return sum;
}

/**
 * Every feature record the events can have touched (user, session, item ×
 * region, region), bins and all, to compare before and after a redelivery.
 */
export async function featureSnapshot(
  store: StorePort,
  ns: string,
  touched: { users: string[]; sessions: string[]; items: string[]; region: string },
): Promise<(Bins | null)[]> {
  const keys = [
    ...touched.users.map((u) => featureRecordKey(ns, "user", u)),
    ...touched.sessions.map((s) => featureRecordKey(ns, "session", s)),
    ...touched.items.map((i) => featureRecordKey(ns, "item_region", joinKey([i, touched.region]))),
    featureRecordKey(ns, "region", touched.region),
  ];
  return (await store.batchGet(keys)).map((record) => record?.bins ?? null);
}
