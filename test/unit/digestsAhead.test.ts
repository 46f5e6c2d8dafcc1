import { describe, expect, it } from 'vitest';
import type { StreamedBlob } from '../../src/shared/blockChecksums.ts';
import { DigestsAhead } from '../../src/shared/digestsAhead.ts';

/** A stand-in digest: the chunk's bytes as text, so a wrong range shows in the answer. */
function textOf(chunk: StreamedBlob): Promise<string> {
  return new Response(chunk.stream() as ReadableStream<Uint8Array>).text();
}

function recorder(fail: (start: string) => boolean = () => false) {
  const computed: string[] = [];
  const compute = async (chunk: StreamedBlob) => {
    const text = await textOf(chunk);
    computed.push(text);
    if (fail(text)) throw new Error('read refused');
    return text;
  };
  return { computed, compute };
}

const file = new Blob(['abcdefghijklmnopqrstuvwxyz']);

describe('digests of the next chunk, begun while one is sent', () => {
  it('gives each chunk its own digests and finds steady chunks already hashed', async () => {
    const { computed, compute } = recorder();
    const ahead = new DigestsAhead(file, compute);
    expect(await ahead.forChunk(0, 4)).toBe('abcd');
    expect(await ahead.forChunk(4, 8)).toBe('efgh');
    expect(await ahead.forChunk(8, 12)).toBe('ijkl');
    expect(ahead.stats).toEqual({ hits: 2, misses: 0 });
    // The guess after the last chunk is computed too, then dropped.
    await expect.poll(() => computed).toEqual(['abcd', 'efgh', 'ijkl', 'mnop']);
  });

  it('computes a chunk whose size or place was not guessed, and stops at the end of the file', async () => {
    const { computed, compute } = recorder();
    const ahead = new DigestsAhead(file, compute);
    expect(await ahead.forChunk(0, 4)).toBe('abcd');
    expect(await ahead.forChunk(4, 20)).toBe('efghijklmnopqrst');
    expect(await ahead.forChunk(20, 26)).toBe('uvwxyz');
    expect(ahead.stats).toEqual({ hits: 1, misses: 1 });
    // After 4..20 the guess is 20..26, cut to the file's end; nothing is guessed after it.
    expect(computed).toEqual(['abcd', 'efgh', 'efghijklmnopqrst', 'uvwxyz']);
  });

  it('computes again a chunk whose guess failed in the background', async () => {
    let refusals = 1;
    const { compute } = recorder((text) => text === 'efgh' && refusals-- > 0);
    const ahead = new DigestsAhead(file, compute);
    await ahead.forChunk(0, 4);
    expect(await ahead.forChunk(4, 8)).toBe('efgh');
  });
});
