/**
 * Keeping the uploads under the crew's bandwidth cap by waiting between requests: each request goes
 * at the link's own speed, then the next waits until the average is back at the cap. Requests are
 * never slowed down inside: a slow body would look like a stalled link to the stall detector.
 */

/**
 * Seconds of the cap one chunk may carry. Sent at full speed, one chunk is the most any window can
 * run ahead of the cap, so 3 s of cap keeps every 30 s window within 10% of it.
 */
export const CAP_CHUNK_SECONDS = 3;

/** Smallest chunk offered under a cap: smaller ones would be mostly headers. */
export const MIN_CAPPED_CHUNK = 8 * 1024;

/**
 * How long to wait before the next request so that the link averages at most `capKbps`.
 * @param capKbps the cap in kbit/s (1000 bit/s); null for none (never waits)
 * @param bytes what the request just finished put on the link (body and headers, both ways)
 * @param elapsedMs from the request's start to its end
 * @returns ms to wait; 0 when the request itself took as long as the cap allows for its bytes
 */
export function paceDelayMs(capKbps: number | null, bytes: number, elapsedMs: number): number {
  if (capKbps === null || !(capKbps > 0) || !(bytes > 0)) return 0;
  // bytes · 8 bit / (capKbps · 1000 bit/s) = bytes · 8 / capKbps ms
  return Math.max(0, Math.ceil((bytes * 8) / capKbps - Math.max(0, elapsedMs)));
}

/**
 * The largest chunk to send under `capKbps`: CAP_CHUNK_SECONDS of the cap, never more than
 * `chunkSize` (the uncapped choice) and never less than MIN_CAPPED_CHUNK.
 */
export function chunkSizeForCap(capKbps: number | null, chunkSize: number): number {
  if (capKbps === null || !(capKbps > 0)) return chunkSize;
  const ofCap = Math.floor(((capKbps * 1000) / 8) * CAP_CHUNK_SECONDS);
  return Math.min(chunkSize, Math.max(MIN_CAPPED_CHUNK, ofCap));
}
