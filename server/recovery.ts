import type { Logger } from './log.ts';
import type { Partial, Partials } from './partials.ts';
import type { UploadBytes } from './uploadBytes.ts';

/**
 * Brings one unfinished upload's stored bytes in line with its acknowledged offset, under the
 * upload's lock (never as a sweep: on shared storage another server may be writing other uploads):
 * a torn tail a crash left past the offset is cut, missing bytes of an empty upload recreated, an
 * upload whose bytes are gone dropped. Returns the upload as it now stands, undefined if dropped.
 */
export async function settle(
  opts: { bytes: UploadBytes; partials: Partials; log: Logger },
  partial: Partial,
): Promise<Partial | undefined> {
  const { bytes, partials, log } = opts;
  const { id, acked } = partial;
  const size = await bytes.length(id);
  if (size === undefined) {
    if (acked === 0) {
      await bytes.create(id);
      return partial;
    }
    log('error', 'upload file missing; upload dropped', { id, acked });
    await partials.delete(id);
    return undefined;
  }
  if (size > acked) {
    await bytes.cut(id, acked);
    log('info', 'unacknowledged tail discarded', { id, acked, bytes: size - acked });
  } else if (size < acked) {
    // Only a disk that lied about fsync gets here; offer the client what is really there.
    log('error', 'upload file shorter than its acknowledged offset', { id, acked, size });
    await partials.ack(id, size);
    return { ...partial, acked: size };
  }
  return partial;
}
