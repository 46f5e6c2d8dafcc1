/** What `navigator.storage.estimate()` reports (both fields may be missing). */
export interface StorageEstimateLike {
  usage?: number;
  quota?: number;
}

/** Share of the quota left unused, so the queue's own records and the app shell still fit. */
const HEADROOM = 0.05;

/**
 * Whether `bytes` more fit in the origin's storage. Unknown quota counts as room: the browser's own
 * QuotaExceededError is then the last line, and adding stays all-or-nothing.
 */
export function storageRoom(estimate: StorageEstimateLike | undefined, bytes: number) {
  if (estimate?.quota === undefined) return { fits: true, free: null };
  const free = Math.max(0, estimate.quota * (1 - HEADROOM) - (estimate.usage ?? 0));
  return { fits: bytes <= free, free };
}
