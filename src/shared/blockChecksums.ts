/**
 * The request header with a SHA-256 digest per fixed-size block of a PATCH body:
 * `Upload-Block-Checksums: sha256 <block size> <base64>,<base64>,…`. The server keeps every whole
 * block of a cut or damaged body that matches its digest, instead of discarding the whole chunk.
 */
export const BLOCK_CHECKSUMS_HEADER = 'Upload-Block-Checksums';

/**
 * Smallest block, and the server's minimum. A cut loses half a block on average: with a link that
 * resets every 40 s at 2 Mbit/s (10 MB between cuts) that is 0.3% extra on the wire, where 256 KiB
 * blocks would cost 1.3%.
 */
export const MIN_BLOCK_BYTES = 64 * 1024;
/** Most blocks per chunk: 64 digests keep the header under 3 KB, far inside the server's 16 KB. */
export const MAX_BLOCKS = 64;
/** Block sizes are whole multiples of this. */
const BLOCK_STEP = 64 * 1024;
/** Computes a SHA-256 digest, reading its input before it returns (Web Crypto copies it at once). */
export type Sha256 = (data: Uint8Array) => Promise<ArrayBuffer>;

/** A read from a byte stream. */
export type ByteRead = { done: boolean; value?: Uint8Array };

/**
 * The parts of a WHATWG ReadableStream of bytes this folder uses (it has no DOM types): a reader
 * that fills a view we give it (BYOB), or a plain one that hands out its own chunks.
 */
export interface ByteStream {
  getReader(options: { mode: 'byob' }): ViewReader;
  getReader(): ChunkReader;
}

/** Reads into the caller's view (a BYOB reader). */
interface ViewReader {
  read(view: Uint8Array): Promise<ByteRead>;
  cancel(): Promise<void>;
}

/** Reads the stream's own chunks. */
interface ChunkReader {
  read(): Promise<ByteRead>;
  cancel(): Promise<void>;
}

/** A Blob whose bytes can be streamed; browser Blobs and Files, and Node's, are. */
export interface StreamedBlob {
  readonly size: number;
  stream(): ByteStream;
}

/** Digests still being computed at most: their inputs are copies held by the digest itself. */
const DIGESTS_IN_FLIGHT = 4;

/** The block size for a chunk of `chunkBytes`: 64 KiB, or a 64th of the chunk rounded up to 64 KiB. */
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
 * The Upload-Block-Checksums value for a chunk. The chunk is streamed into one block-sized buffer,
 * used again for every block: each read of a stored Blob into a new ArrayBuffer leaves garbage that
 * the worker's collector, with almost nothing else to do, let grow to 260 MiB during a 2 GiB upload.
 * Reading the next block overlaps with digesting the last, which runs off the worker's thread.
 */
export async function blockChecksums(chunk: StreamedBlob, sha256: Sha256 = webCryptoSha256): Promise<string> {
  const blockSize = blockSizeFor(chunk.size);
  const digests: Promise<ArrayBuffer>[] = [];
  if (chunk.size > 0) {
    const reader = blockReader(chunk.stream(), Math.min(blockSize, chunk.size));
    try {
      for (let start = 0; start < chunk.size; start += blockSize) {
        const block = await reader.read(Math.min(blockSize, chunk.size - start));
        digests.push(sha256(block));
        if (digests.length > DIGESTS_IN_FLIGHT) await digests[digests.length - 1 - DIGESTS_IN_FLIGHT];
      }
    } finally {
      reader.close();
    }
  }
  return formatBlockChecksums(
    blockSize,
    (await Promise.all(digests)).map((d) => new Uint8Array(d)),
  );
}

/**
 * Reads a byte stream block by block into one buffer of `capacity` bytes. A view it returns is
 * valid until the next read. Uses a BYOB reader where the stream is a byte stream (Chromium's and
 * Node's Blobs), or copies from the chunks of a plain one.
 */
function blockReader(stream: ByteStream, capacity: number) {
  let buffer = new ArrayBuffer(capacity);
  let byob: ViewReader | null = null;
  let plain: ChunkReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    plain = stream.getReader();
  }
  let rest: Uint8Array | null = null;
  const ended = () => new Error('The file ended before the chunk did');
  return {
    async read(length: number): Promise<Uint8Array> {
      let filled = 0;
      while (filled < length) {
        if (byob) {
          const { value, done } = await byob.read(new Uint8Array(buffer, filled, length - filled));
          if (done || !value) throw ended();
          buffer = value.buffer as ArrayBuffer;
          filled += value.byteLength;
          continue;
        }
        let piece: Uint8Array | null = rest?.byteLength ? rest : null;
        if (!piece) {
          const { value, done } = await (plain as ChunkReader).read();
          if (done || !value) throw ended();
          piece = value;
        }
        const take = Math.min(piece.byteLength, length - filled);
        new Uint8Array(buffer, filled, take).set(piece.subarray(0, take));
        rest = piece.subarray(take);
        filled += take;
      }
      return new Uint8Array(buffer, 0, length);
    },
    close(): void {
      (byob ?? plain)?.cancel().catch(() => {});
    },
  };
}

type WebCrypto = { subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } };

// Looked up when used, not at import: workers, pages and Node 20 all have a global `crypto`.
function webCryptoSha256(data: Uint8Array): Promise<ArrayBuffer> {
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
