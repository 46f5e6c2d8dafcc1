import { createHash } from 'node:crypto';

/** Deterministic pseudo-random bytes (xorshift), so every run checks real content and failures reproduce. */
export function makeFile(size: number, seed = 1): Buffer {
  const buf = Buffer.alloc(Math.ceil(size / 4) * 4);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < buf.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  return buf.subarray(0, size);
}

/** SHA-256 of a buffer, hex. */
export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
