import type { BlockVerifier } from './blockChecksums.ts';
import type { Checksum } from './checksum.ts';
import type { StreamHash } from './hashThread.ts';
import { type TusError, tusError } from './httpError.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

/** One PATCH body as it ended: where it started and stopped, and what it was checked against. */
export type BodyEnd = {
  id: string;
  offset: number;
  /** The offset acknowledged before this request (or by its checkpoints). */
  acked: number;
  /** Where the received bytes end. */
  pos: number;
  /** Set when the client went away mid-body. */
  aborted: unknown;
  checksum: Checksum | undefined;
  chunkHash: StreamHash | undefined;
  blocks: BlockVerifier | undefined;
};

/**
 * Where a request's bytes end once its checksums have had their say, and the 460 to answer if one
 * failed. Without checksums everything that arrived stays. `Upload-Checksum` alone is all or
 * nothing. Block checksums keep every whole block that matched, up to the first that did not;
 * sent with `Upload-Checksum` too, a complete body must match both, and one that fails the
 * chunk's digest is discarded whole.
 */
export async function keptBytes(
  body: BodyEnd,
  report: { metrics: Metrics; log: Logger },
): Promise<{ end: number; refusal?: TusError }> {
  const { id, offset, acked, pos, aborted, checksum, chunkHash, blocks } = body;
  if (blocks) {
    const end = offset + blocks.verified;
    const bad = blocks.failedBlock;
    if (bad !== undefined) {
      report.metrics.checksumFailures++;
      report.log('info', 'block checksum mismatch', { id, offset, block: bad, kept: end });
      const message = `Checksum mismatch in block ${bad}: the blocks before it were kept; send the rest again`;
      return { end, refusal: mismatch(message, end) };
    }
    if (!blocks.complete || !checksum || !chunkHash) return { end };
  } else if (!checksum || !chunkHash) {
    return { end: pos };
  } else if (aborted) {
    // A cut chunk cannot be verified against a digest of the whole chunk.
    return { end: acked };
  }
  if ((await chunkHash.digest()).equals(checksum.digest)) return { end: pos };
  report.metrics.checksumFailures++;
  report.log('info', 'chunk checksum mismatch', { id, offset, algorithm: checksum.algorithm });
  const message = `Checksum mismatch (${checksum.algorithm}): the chunk was discarded; send it again`;
  return { end: acked, refusal: mismatch(message, acked) };
}

// A 460 for bytes of this request that failed their checksum, saying where the upload now stands.
function mismatch(message: string, offset: number): TusError {
  return tusError(460, message, { 'Upload-Offset': String(offset) });
}
