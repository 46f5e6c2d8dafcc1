import { createHash } from 'node:crypto';
import type { StreamHash } from './hashThread.ts';

/** The request header with a SHA-256 digest per fixed-size block of a PATCH body. */
export const BLOCK_CHECKSUMS_HEADER = 'Upload-Block-Checksums';

/**
 * Bounds on the header: blocks of at least 64 KiB (per-block work stays small next to hashing the
 * bytes), at most 256 digests (about 11.5 KB, inside Node's 16 KB for all headers).
 */
export const BLOCK_LIMITS = { minBlockBytes: 64 * 1024, maxBlocks: 256 } as const;

/** A parsed Upload-Block-Checksums header, with the body length it describes. */
export type BlockChecksums = { blockSize: number; digests: Buffer[]; length: number };

const SHAPE = /^([A-Za-z0-9-]+) (\d{1,16})(?: (\S+))?$/;
const DIGEST = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Parses `Upload-Block-Checksums: sha256 <block size> <base64>,<base64>,…` for a body of
 * `contentLength` bytes: one digest per block, the last block possibly shorter, no digests for an
 * empty body. An Error's message says what is wrong.
 */
export function parseBlockChecksums(
  header: string,
  contentLength: string | undefined,
): BlockChecksums | Error {
  const match = SHAPE.exec(header.trim());
  if (!match) return new Error(`${BLOCK_CHECKSUMS_HEADER} must be "sha256 <block size> <base64>,<base64>,…"`);
  const [, algorithm = '', size = '', list] = match;
  if (algorithm.toLowerCase() !== 'sha256') {
    return new Error(`${BLOCK_CHECKSUMS_HEADER} algorithm ${algorithm} is not supported; use sha256`);
  }
  const blockSize = Number(size);
  if (blockSize < BLOCK_LIMITS.minBlockBytes) {
    return new Error(
      `${BLOCK_CHECKSUMS_HEADER} block size must be at least ${BLOCK_LIMITS.minBlockBytes} bytes`,
    );
  }
  if (contentLength === undefined || !/^\d{1,16}$/.test(contentLength)) {
    return new Error(`${BLOCK_CHECKSUMS_HEADER} needs the body's Content-Length`);
  }
  const length = Number(contentLength);
  const count = Math.ceil(length / blockSize);
  const encoded = list === undefined ? [] : list.split(',');
  if (encoded.length !== count) {
    return new Error(
      `${BLOCK_CHECKSUMS_HEADER} has ${encoded.length} digests; a ${length}-byte body in ${blockSize}-byte blocks needs ${count}`,
    );
  }
  if (count > BLOCK_LIMITS.maxBlocks) {
    return new Error(
      `${BLOCK_CHECKSUMS_HEADER} may list at most ${BLOCK_LIMITS.maxBlocks} blocks; use larger blocks`,
    );
  }
  const digests: Buffer[] = [];
  for (const [i, text] of encoded.entries()) {
    if (!DIGEST.test(text)) return new Error(`${BLOCK_CHECKSUMS_HEADER} digest ${i} is not a base64 SHA-256`);
    digests.push(Buffer.from(text, 'base64'));
  }
  return { blockSize, digests, length };
}

/**
 * Follows a PATCH body as it streams and checks each block against its digest as soon as the
 * block's last byte is in: one running hash per block, nothing buffered. `verified` is how much of
 * the body, from its start, is whole blocks that matched: the bytes a cut or damaged body may keep.
 */
export class BlockVerifier {
  private readonly blocks: BlockChecksums;
  private readonly follower: StreamHash | undefined;
  private hash = createHash('sha256');
  private index = 0;
  private filled = 0;
  private received = 0;
  private verifiedBytes = 0;
  private failed: number | undefined;
  private followerSnapshot: StreamHash | undefined;

  /**
   * @param follower another hash (the whole file's) fed the same bytes; its state after exactly
   *   the verified bytes is kept, so a cut body can rewind it instead of re-reading the file
   */
  constructor(blocks: BlockChecksums, follower?: StreamHash) {
    this.blocks = blocks;
    this.follower = follower;
    this.followerSnapshot = follower?.copy();
  }

  /** Bytes from the body's start in whole blocks whose digests matched. */
  get verified(): number {
    return this.verifiedBytes;
  }

  /** The first block whose digest did not match; later blocks are not checked. */
  get failedBlock(): number | undefined {
    return this.failed;
  }

  /** Whether every declared byte arrived and every block matched. */
  get complete(): boolean {
    return this.verifiedBytes === this.blocks.length && this.received === this.blocks.length;
  }

  /** The follower's state after exactly the verified bytes (a copy the caller may keep using). */
  followerAtVerified(): StreamHash | undefined {
    return this.followerSnapshot?.copy();
  }

  /** Lets go of the follower's kept state (the follower itself belongs to the caller). */
  dispose(): void {
    this.followerSnapshot?.dispose();
    this.followerSnapshot = undefined;
  }

  /** Feeds the next bytes of the body. */
  update(chunk: Buffer): void {
    const { blockSize, digests, length } = this.blocks;
    let at = 0;
    while (at < chunk.length) {
      if (this.index >= digests.length) {
        // More bytes than the header described (Node enforces Content-Length, so only a bug): none
        // of them is covered by a digest.
        this.failed ??= digests.length;
        this.follower?.update(chunk.subarray(at));
        break;
      }
      const blockLength = Math.min(blockSize, length - this.index * blockSize);
      const piece = chunk.subarray(at, at + blockLength - this.filled);
      at += piece.length;
      this.filled += piece.length;
      this.follower?.update(piece);
      if (this.failed === undefined) this.hash.update(piece);
      if (this.filled < blockLength) continue;
      if (this.failed === undefined) this.check(blockLength);
      this.index++;
      this.filled = 0;
    }
    this.received += chunk.length;
  }

  // The current block's last byte is in.
  private check(blockLength: number): void {
    const expected = this.blocks.digests[this.index];
    if (!expected || !this.hash.digest().equals(expected)) {
      this.failed = this.index;
      return;
    }
    this.hash = createHash('sha256');
    this.verifiedBytes += blockLength;
    this.followerSnapshot?.dispose();
    this.followerSnapshot = this.follower?.copy();
  }
}
