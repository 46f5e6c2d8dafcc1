import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashBlob } from '../../src/shared/hashBlob.ts';

describe('hashBlob', () => {
  it('matches a one-shot SHA-256 across slice boundaries, and for an empty file', async () => {
    const bytes = new Uint8Array(9 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 0xff);
    const expected = createHash('sha256').update(bytes).digest('hex');
    const seen: number[] = [];
    expect(await hashBlob(new Blob([bytes]), (n) => seen.push(n))).toBe(expected);
    expect(seen.at(-1)).toBe(bytes.length);
    expect(await hashBlob(new Blob([]))).toBe(createHash('sha256').digest('hex'));
  });
});
