/** Algorithms of the tus checksum extension that this server verifies. */
export const CHECKSUM_ALGORITHMS = ['sha1', 'sha256'] as const;

/** A parsed Upload-Checksum header. */
export type Checksum = { algorithm: (typeof CHECKSUM_ALGORITHMS)[number]; digest: Buffer };

/** Parses `Upload-Checksum: <algorithm> <base64>`; an Error's message says what is wrong. */
export function parseChecksum(header: string): Checksum | Error {
  const match = /^([A-Za-z0-9-]+) ([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  if (!match) return new Error('Upload-Checksum must be "<algorithm> <base64 digest>"');
  const algorithm = (match[1] ?? '').toLowerCase();
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) {
    return new Error(
      `checksum algorithm ${algorithm} is not supported; use ${CHECKSUM_ALGORITHMS.join(' or ')}`,
    );
  }
  const digest = Buffer.from(match[2] ?? '', 'base64');
  const expected = algorithm === 'sha1' ? 20 : 32;
  if (digest.length !== expected)
    return new Error(`Upload-Checksum ${algorithm} digest must be ${expected} bytes`);
  return { algorithm: algorithm as Checksum['algorithm'], digest };
}
