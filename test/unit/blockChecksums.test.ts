import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_LIMITS, BlockVerifier, parseBlockChecksums } from '../../server/blockChecksums.ts';
import { type Hashing, HashThread, localHashing } from '../../server/hashThread.ts';
import {
  blockChecksums,
  blockSizeFor,
  formatBlockChecksums,
  MAX_BLOCKS,
  MIN_BLOCK_BYTES,
} from '../../src/shared/blockChecksums.ts';
import { makeFile } from '../support/content.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** Digests of `data` in blocks of `blockSize`, hashed with node:crypto. */
function digestsOf(data: Buffer, blockSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += blockSize) out.push(sha(data.subarray(at, at + blockSize)));
  return out;
}

describe('block size for a chunk', () => {
  const table: [string, number, number][] = [
    ['empty chunk', 0, 64 * KiB],
    ['one byte', 1, 64 * KiB],
    ['2 MiB chunk: 32 blocks', 2 * MiB, 64 * KiB],
    ['4 MiB: 64 blocks of 64 KiB', 4 * MiB, 64 * KiB],
    ['one byte more: a 64th rounded up to 64 KiB', 4 * MiB + 1, 128 * KiB],
    ['16 MiB', 16 * MiB, 256 * KiB],
    ['40 MiB', 40 * MiB, 640 * KiB],
    ['40 MiB and a bit', 40 * MiB + 5, 704 * KiB],
    ['5 GiB', 5 * 1024 * MiB, 80 * MiB],
  ];
  it.each(table)('%s', (_name, chunk, expected) => {
    expect(blockSizeFor(chunk)).toBe(expected);
  });

  it('never needs more than 64 blocks, whole 64 KiB steps, the server minimum, and a header under 3 KB', () => {
    expect(MIN_BLOCK_BYTES).toBe(BLOCK_LIMITS.minBlockBytes);
    for (const chunk of [0, 1, 63 * KiB, 4 * MiB - 1, 4 * MiB + 64 * KiB + 1, 33 * MiB + 7, 10 ** 10]) {
      const size = blockSizeFor(chunk);
      expect(size).toBeGreaterThanOrEqual(MIN_BLOCK_BYTES);
      expect(size % (64 * KiB)).toBe(0);
      const count = Math.ceil(chunk / size);
      expect(count).toBeLessThanOrEqual(MAX_BLOCKS);
      const header = formatBlockChecksums(
        size,
        Array.from({ length: count }, () => new Uint8Array(32)),
      );
      expect(header.length).toBeLessThanOrEqual(3 * KiB);
    }
  });
});

describe('the header the app sends', () => {
  it('round-trips through the server parser with each block digest, the last block short', async () => {
    const data = makeFile(2 * MiB + 12_345, 3);
    const header = await blockChecksums(new Blob([new Uint8Array(data)]));
    const parsed = parseBlockChecksums(header, String(data.length));
    if (parsed instanceof Error) throw parsed;
    expect(parsed.blockSize).toBe(64 * KiB);
    expect(parsed.length).toBe(data.length);
    expect(parsed.digests).toEqual(digestsOf(data, 64 * KiB));
    expect(parsed.digests).toHaveLength(33);
  });

  it('has no digests for an empty chunk, and the server accepts that', async () => {
    const header = await blockChecksums(new Blob([]));
    expect(header).toBe(`sha256 ${64 * KiB}`);
    expect(parseBlockChecksums(header, '0')).toEqual({ blockSize: 64 * KiB, digests: [], length: 0 });
  });

  /** A plain (not byte) stream of `data` in pieces of the given sizes, over and over. */
  function piecewise(data: Buffer, pieces: number[]) {
    return {
      size: data.length,
      stream() {
        let at = 0;
        let turn = 0;
        return new ReadableStream<Uint8Array>({
          pull(controller) {
            if (at >= data.length) return controller.close();
            const n = pieces[turn++ % pieces.length] ?? 1;
            controller.enqueue(new Uint8Array(data.subarray(at, at + n)));
            at += n;
          },
        });
      },
    };
  }

  it('reads a plain stream that arrives in odd pieces into the same blocks', async () => {
    const data = makeFile(5 * MiB + 77, 4);
    const header = await blockChecksums(piecewise(data, [1, 70_000, 333, 1 << 20, 65_535]));
    const block = blockSizeFor(data.length);
    expect(header).toBe(formatBlockChecksums(block, digestsOf(data, block)));
  });

  it('reads every block into one buffer a block long, never the whole chunk', async () => {
    const data = makeFile(12 * MiB + 3, 5);
    const block = blockSizeFor(data.length);
    const seen: { length: number; capacity: number }[] = [];
    for (const source of [new Blob([new Uint8Array(data)]), piecewise(data, [100_000])]) {
      seen.length = 0;
      const header = await blockChecksums(source, async (view) => {
        seen.push({ length: view.byteLength, capacity: view.buffer.byteLength });
        return new Uint8Array(sha(view)).buffer;
      });
      expect(header).toBe(formatBlockChecksums(block, digestsOf(data, block)));
      expect(seen).toHaveLength(Math.ceil(data.length / block));
      expect(seen.every((s) => s.capacity === block && s.length <= block)).toBe(true);
    }
  });

  it('keeps the digests in order whatever order they finish, with at most a few unfinished', async () => {
    const data = makeFile(12 * MiB + 3, 6);
    const block = blockSizeFor(data.length);
    let started = 0;
    let unfinished = 0;
    let mostUnfinished = 0;
    const header = await blockChecksums(new Blob([new Uint8Array(data)]), (view) => {
      // Copies its input at once, as Web Crypto does; later blocks finish first.
      const digest = new Uint8Array(sha(view)).buffer;
      mostUnfinished = Math.max(mostUnfinished, ++unfinished);
      const delay = Math.max(0, 30 - 3 * started++);
      return new Promise((resolve) =>
        setTimeout(() => {
          unfinished--;
          resolve(digest);
        }, delay),
      );
    });
    expect(header).toBe(formatBlockChecksums(block, digestsOf(data, block)));
    expect(mostUnfinished).toBeGreaterThan(1);
    expect(mostUnfinished).toBeLessThanOrEqual(5);
  });

  it('says so when the file ends before the chunk does', async () => {
    const data = makeFile(200 * KiB, 7);
    const short = { size: 300 * KiB, stream: () => new Blob([new Uint8Array(data)]).stream() };
    await expect(blockChecksums(short)).rejects.toThrow(/ended before the chunk/);
  });
});

describe('parsing Upload-Block-Checksums', () => {
  const B = BLOCK_LIMITS.minBlockBytes;
  const d = sha(new Uint8Array([1])).toString('base64');
  const two = `${d},${d}`;
  const rows: [string, string, string | undefined, number | RegExp][] = [
    ['two blocks, the last short', `sha256 ${B} ${two}`, String(B + 1), 2],
    ['exactly two whole blocks', `sha256 ${B} ${two}`, String(2 * B), 2],
    ['algorithm in capitals', `SHA256 ${B} ${d}`, '10', 1],
    ['empty body, no digests', `sha256 ${B}`, '0', 0],
    ['one digest too few', `sha256 ${B} ${d}`, String(B + 1), /has 1 digests.*needs 2/],
    ['one digest too many', `sha256 ${B} ${two}`, String(B), /has 2 digests.*needs 1/],
    ['digests for an empty body', `sha256 ${B} ${d}`, '0', /needs 0/],
    ['no digests for a body', `sha256 ${B}`, '1', /needs 1/],
    ['block size below the minimum', `sha256 ${B - 1} ${d}`, '10', /at least 65536/],
    ['block size zero', `sha256 0 ${d}`, '10', /at least/],
    ['block size not a number', `sha256 1e6 ${d}`, '10', /must be/],
    ['unknown algorithm', `sha1 ${B} ${d}`, '10', /sha1 is not supported/],
    ['not base64', `sha256 ${B} ${'*'.repeat(43)}=`, '10', /digest 0 is not/],
    [
      'a SHA-1-sized digest',
      `sha256 ${B} ${sha(new Uint8Array()).subarray(0, 20).toString('base64')}`,
      '10',
      /digest 0/,
    ],
    ['space after a comma', `sha256 ${B} ${d}, ${d}`, String(B + 1), /must be/],
    ['empty entry', `sha256 ${B} ${d},,${d}`, String(2 * B + 1), /digest 1/],
    ['no Content-Length (chunked body)', `sha256 ${B} ${d}`, undefined, /Content-Length/],
    [
      'more blocks than allowed',
      `sha256 ${B} ${Array(BLOCK_LIMITS.maxBlocks + 1)
        .fill(d)
        .join(',')}`,
      String((BLOCK_LIMITS.maxBlocks + 1) * B),
      /at most 256 blocks/,
    ],
  ];
  it.each(rows)('%s', (_name, header, length, expected) => {
    const parsed = parseBlockChecksums(header, length);
    if (typeof expected === 'number') {
      if (parsed instanceof Error) throw parsed;
      expect(parsed.digests).toHaveLength(expected);
    } else {
      expect(parsed).toBeInstanceOf(Error);
      expect((parsed as Error).message).toMatch(expected);
    }
  });
});

describe('what the server keeps of a body', () => {
  const B = BLOCK_LIMITS.minBlockBytes;
  // Four whole blocks and a short fifth.
  const data = makeFile(4 * B + 1000, 9);
  const blocks = { blockSize: B, digests: digestsOf(data, B), length: data.length };

  type Row = { arrived: number; damaged?: number; verified: number; failed?: number; complete?: boolean };
  const rows: [string, Row][] = [
    ['whole body, every block matches', { arrived: data.length, verified: data.length, complete: true }],
    ['cut mid-block 2: blocks 0 and 1 kept', { arrived: 2.5 * B, verified: 2 * B }],
    ['cut exactly after block 3', { arrived: 3 * B, verified: 3 * B }],
    ['cut one byte into block 1', { arrived: B + 1, verified: B }],
    ['cut before the first block ends', { arrived: B - 1, verified: 0 }],
    ['cut one byte short of the end', { arrived: data.length - 1, verified: 4 * B }],
    ['nothing arrived', { arrived: 0, verified: 0 }],
    [
      'block 3 damaged: 0, 1, 2 kept',
      { arrived: data.length, damaged: 3 * B + 7, verified: 3 * B, failed: 3 },
    ],
    ['block 0 damaged', { arrived: data.length, damaged: 0, verified: 0, failed: 0 }],
    ['short last block damaged', { arrived: data.length, damaged: 4 * B + 999, verified: 4 * B, failed: 4 }],
    ['block 1 damaged, then cut', { arrived: 3.5 * B, damaged: 2 * B - 1, verified: B, failed: 1 }],
    ['cut inside a damaged block', { arrived: 2.5 * B, damaged: 2 * B + 1, verified: 2 * B }],
  ];
  // Each body is fed in pieces of several sizes, so blocks end inside, at and across pieces.
  const pieces = [7_777, B, 100_000, Number.MAX_SAFE_INTEGER];

  // The follower on this thread and on the hashing thread the server uses.
  const thread = new HashThread();
  afterAll(() => thread.close());
  const homes: [string, Hashing][] = [
    ['here', localHashing],
    ['on the hashing thread', thread],
  ];

  describe.each(homes)('with the whole-file hash %s', (_home, hashing) => {
    it.each(rows)('%s', async (_name, row) => {
      for (const piece of pieces) {
        const body = Buffer.from(data.subarray(0, row.arrived));
        if (row.damaged !== undefined) body[row.damaged] = (body[row.damaged] ?? 0) ^ 1;
        const prefix = Buffer.from('bytes already stored');
        const follower = hashing.create('sha256');
        follower.update(prefix);
        const verifier = new BlockVerifier(blocks, follower);
        for (let at = 0; at < body.length; at += piece) verifier.update(body.subarray(at, at + piece));
        expect(verifier.verified, `pieces of ${piece}`).toBe(row.verified);
        expect(verifier.failedBlock).toBe(row.failed);
        expect(verifier.complete).toBe(row.complete ?? false);
        // The whole-file hash can be rewound to exactly the kept bytes.
        const rewound = (await verifier.followerAtVerified()?.digest())?.toString('hex');
        const expected = createHash('sha256')
          .update(prefix)
          .update(data.subarray(0, row.verified))
          .digest('hex');
        expect(rewound).toBe(expected);
        // The follower itself went on through every byte that arrived.
        expect((await follower.digest()).toString('hex')).toBe(
          createHash('sha256').update(prefix).update(body).digest('hex'),
        );
        verifier.dispose();
      }
    });
  });

  it('an empty body with no digests is complete', () => {
    const verifier = new BlockVerifier({ blockSize: B, digests: [], length: 0 });
    expect(verifier.complete).toBe(true);
    expect(verifier.verified).toBe(0);
    expect(verifier.failedBlock).toBeUndefined();
  });

  it('bytes beyond the declared length count as a failure, and none of them is kept', () => {
    const verifier = new BlockVerifier({
      blockSize: B,
      digests: digestsOf(data.subarray(0, B), B),
      length: B,
    });
    verifier.update(data.subarray(0, B + 10));
    expect(verifier.verified).toBe(B);
    expect(verifier.failedBlock).toBe(1);
    expect(verifier.complete).toBe(false);
  });
});
