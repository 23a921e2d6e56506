/** FNV-1a, 32 bits: cheap, stable across processes and languages. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Whether a request is in the training log's sample: decided by its id alone,
 * so every process (and a re-run) samples the same requests, and all groups of
 * one request are logged together or not at all.
 */
export function isSampled(requestId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return fnv1a(requestId) / 0x1_0000_0000 < rate;
}
