import type { ReadableBlob } from './hashBlob.ts';

/**
 * The request header with a SHA-256 digest per fixed-size block of a PATCH body:
 * `Upload-Block-Checksums: sha256 <block size> <base64>,<base64>,…`. The server keeps every whole
 * block of a cut or damaged body that matches its digest, instead of discarding the whole chunk.
 */
export const BLOCK_CHECKSUMS_HEADER = 'Upload-Block-Checksums';

/** Smallest block: a cut loses at most this much (about 1 s of a 2 Mbit/s link). */
export const MIN_BLOCK_BYTES = 256 * 1024;
/** Most blocks per chunk: 64 digests keep the header under 3 KB, far inside the server's 16 KB. */
export const MAX_BLOCKS = 64;
/** Block sizes are whole multiples of this. */
const BLOCK_STEP = 64 * 1024;

/** Computes a SHA-256 digest; Web Crypto's by default. */
export type Sha256 = (data: ArrayBuffer) => Promise<ArrayBuffer>;

/** The block size for a chunk of `chunkBytes`: 256 KiB, or a 64th of the chunk rounded up to 64 KiB. */
export function blockSizeFor(chunkBytes: number): number {
  const share = Math.ceil(Math.ceil(chunkBytes / MAX_BLOCKS) / BLOCK_STEP) * BLOCK_STEP;
  return Math.max(MIN_BLOCK_BYTES, share);
}

/** The header value for blocks of `blockSize` bytes with these digests, in order. */
export function formatBlockChecksums(blockSize: number, digests: readonly Uint8Array[]): string {
  const list = digests.map(base64).join(',');
  return list ? `sha256 ${blockSize} ${list}` : `sha256 ${blockSize}`;
}

/**
 * The Upload-Block-Checksums value for a chunk, read one block at a time so that only one block is
 * in memory however large the chunk.
 */
export async function blockChecksums(chunk: ReadableBlob, sha256: Sha256 = webCryptoSha256): Promise<string> {
  const blockSize = blockSizeFor(chunk.size);
  const digests: Uint8Array[] = [];
  for (let start = 0; start < chunk.size; start += blockSize) {
    const block = await chunk.slice(start, Math.min(chunk.size, start + blockSize)).arrayBuffer();
    digests.push(new Uint8Array(await sha256(block)));
  }
  return formatBlockChecksums(blockSize, digests);
}

type WebCrypto = { subtle: { digest(algorithm: string, data: ArrayBuffer): Promise<ArrayBuffer> } };

// Looked up when used, not at import: workers, pages and Node 20 all have a global `crypto`.
function webCryptoSha256(data: ArrayBuffer): Promise<ArrayBuffer> {
  return (globalThis as unknown as { crypto: WebCrypto }).crypto.subtle.digest('SHA-256', data);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Standard base64 with padding; `btoa` is not part of this folder's environment-free library.
function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET[(n >> 18) & 63];
    out += ALPHABET[(n >> 12) & 63];
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63] : '=';
  }
  return out;
}
