/**
 * Sets `key` as the newest entry of a process-level memory bounded to
 * `maxEntries`: Maps iterate in insertion order, so re-inserting moves a
 * key to the end and the first key is the one written longest ago, which
 * goes when the memory is full (it is simply looked up or sent again).
 */
export function rememberNewest<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  if (map.size >= maxEntries) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
