import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FileDigests } from '../../server/fileDigests.ts';
import { localHashing } from '../../server/hashThread.ts';

const sha256 = (...parts: string[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

describe('FileDigests', () => {
  it('carries a file hash from one request to the next at the offset it reached', async () => {
    const files = new FileDigests(localHashing);
    const first = files.take('a', 0);
    first?.update(Buffer.from('hello '));
    if (first) files.keep('a', first, 6);
    const second = files.take('a', 6);
    expect(second).toBe(first);
    second?.update(Buffer.from('world'));
    expect((await second?.digest())?.toString('hex')).toBe(sha256('hello ', 'world'));
  });

  it.each([
    ['a resumed request at another offset', 'a', 4],
    ['an upload it never saw, past its start', 'b', 6],
  ])('has no hash for %s, and starts one only at offset 0', (_, id, offset) => {
    const files = new FileDigests(localHashing);
    const hash = files.take('a', 0);
    hash?.update(Buffer.from('hello '));
    if (hash) files.keep('a', hash, 6);
    expect(files.take(id, offset)).toBeUndefined();
    expect(files.take(id, 0)).toBeDefined();
  });

  it('forgets a discarded upload', () => {
    const files = new FileDigests(localHashing);
    const hash = files.take('a', 0);
    if (hash) files.keep('a', hash, 0);
    files.forget('a');
    expect(files.take('a', 0)).not.toBe(hash);
  });
});
