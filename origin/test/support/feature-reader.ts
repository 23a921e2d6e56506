import { featureRecordKey } from "../../src/features/layout.js";
import { type Decoded, decodeFeature, featureBins } from "../../src/features/storage-read.js";
import { SYSTEM_FEATURES } from "../../src/features/system-features.js";
import type { StorePort } from "../../src/store/port.js";

/**
 * Reads system features the way serving does (only their bins, decoded by
 * storage kind), for stream tests that check what the processor wrote.
 */
export function featureReader(store: StorePort, ns: string, regions: readonly string[]) {
  const definition = (entity: string, name: string) => {
    const found = SYSTEM_FEATURES.find((f) => f.entity === entity && f.name === name);
    if (!found) throw new Error(`no system feature ${entity}.${name}`);
    return found;
  };
  return async (entity: string, key: string, name: string, now: number): Promise<Decoded> => {
    const feature = definition(entity, name);
    const sibling = (other: string) => definition(entity, other);
    const record = await store.get(
      featureRecordKey(ns, entity, key),
      featureBins(feature, { regions, sibling }),
    );
    return decodeFeature(feature, record?.bins ?? {}, { regions, now, sibling });
  };
}
