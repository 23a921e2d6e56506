import type { StorePort } from "../../src/store/port.js";

/**
 * A store that forwards every call to `store`: spread it and override what a
 * test wraps (a counting store, a store without `mapTrimTop`). A method the
 * port gains is forwarded here once instead of in every wrapper.
 */
export function forwardingStore(store: StorePort): StorePort {
  return {
    kind: store.kind,
    supportsTopTrim: store.supportsTopTrim,
    get: (key, bins) => store.get(key, bins),
    batchGet: (keys, bins) => store.batchGet(keys, bins),
    put: (key, bins, options) => store.put(key, bins, options),
    remove: (key) => store.remove(key),
    operate: (key, operations, options) => store.operate(key, operations, options),
    operateMany: (requests) => store.operateMany(requests),
    scan: (ns, set, bins) => store.scan(ns, set, bins),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
