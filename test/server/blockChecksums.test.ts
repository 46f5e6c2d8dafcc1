import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOCK_CHECKSUMS_HEADER,
  blockChecksums,
  formatBlockChecksums,
} from '../../src/shared/blockChecksums.ts';
import {
  bytes,
  hangingPatch,
  listRecords,
  sha256,
  startServer,
  type TestDevice,
  type TestServer,
  until,
} from './helpers.ts';

let s: TestServer;
let device: TestDevice;

beforeAll(async () => {
  s = await startServer();
  device = await s.enroll();
});
afterAll(() => s?.close());

const BLOCK = 256 * 1024;
// Four whole blocks and a short fifth.
const SIZE = 4 * BLOCK + 1000;

/** The header for `body` in blocks of `blockSize`, hashed here with node:crypto. */
function blockHeader(body: Buffer, blockSize = BLOCK): Record<string, string> {
  const digests: Buffer[] = [];
  for (let at = 0; at < body.length; at += blockSize) {
    digests.push(
      createHash('sha256')
        .update(body.subarray(at, at + blockSize))
        .digest(),
    );
  }
  return { [BLOCK_CHECKSUMS_HEADER]: formatBlockChecksums(blockSize, digests) };
}

const idOf = (url: string) => url.split('/').pop() ?? '';
const stored = (url: string) => fs.readFileSync(path.join(s.dataDir, 'files', idOf(url)));
const offsetOf = async (url: string) => (await s.head(device, url)).headers.get('upload-offset');
const recordOf = async (url: string) => (await listRecords(s.url)).find((r) => r.id === idOf(url));

async function received(url: string): Promise<number> {
  const res = await fetch(`${s.url}/api/progress/${idOf(url)}`, { headers: device.headers });
  return ((await res.json()) as { received: number }).received;
}

async function newUpload(data: Buffer, name: string): Promise<string> {
  return s.create(device, data.length, { filename: name, filetype: 'video/mp4', sha256: sha256(data) });
}

describe('Upload-Block-Checksums', () => {
  it('keeps the whole verified blocks of a PATCH cut mid-block, and the upload finishes intact', async () => {
    const data = bytes(SIZE, 41);
    const url = await newUpload(data, 'cut.mp4');
    const sent = 2.5 * BLOCK;
    const hung = hangingPatch(device, url, 0, data.length, data.subarray(0, sent), blockHeader(data));
    await hung.written;
    expect(
      await until(
        () => received(url),
        (n) => n === sent,
      ),
    ).toBe(sent);
    hung.req.destroy();
    await hung.closed;

    expect(await offsetOf(url)).toBe(String(2 * BLOCK));
    expect(stored(url).equals(data.subarray(0, 2 * BLOCK))).toBe(true);

    const rest = data.subarray(2 * BLOCK);
    expect((await s.patch(device, url, 2 * BLOCK, rest, blockHeader(rest))).status).toBe(204);
    expect((await recordOf(url))?.sha256).toBe(sha256(data));
  });

  it('keeps exactly the blocks of a PATCH cut at a block boundary', async () => {
    const data = bytes(SIZE, 42);
    const url = await newUpload(data, 'boundary.mp4');
    const hung = hangingPatch(device, url, 0, data.length, data.subarray(0, 3 * BLOCK), blockHeader(data));
    await hung.written;
    await until(
      () => received(url),
      (n) => n === 3 * BLOCK,
    );
    hung.req.destroy();
    await hung.closed;
    expect(await offsetOf(url)).toBe(String(3 * BLOCK));
    expect(stored(url).length).toBe(3 * BLOCK);
  });

  it('answers 460 for a damaged block, keeps the blocks before it and records no damaged byte', async () => {
    const before = await s.metric('tender_checksum_failures_total');
    const data = bytes(SIZE, 43);
    const url = await newUpload(data, 'damaged.mp4');
    const damaged = Buffer.from(data);
    damaged[3 * BLOCK + 10] = (damaged[3 * BLOCK + 10] ?? 0) ^ 0xff;

    const res = await s.patch(device, url, 0, damaged, blockHeader(data));
    expect(res.status).toBe(460);
    expect(res.headers.get('upload-offset')).toBe(String(3 * BLOCK));
    expect(await res.text()).toMatch(/block 3/);
    expect(await offsetOf(url)).toBe(String(3 * BLOCK));
    expect(stored(url).equals(data.subarray(0, 3 * BLOCK))).toBe(true);
    expect(await s.metric('tender_checksum_failures_total')).toBe(before + 1);

    const rest = data.subarray(3 * BLOCK);
    expect((await s.patch(device, url, 3 * BLOCK, rest, blockHeader(rest))).status).toBe(204);
    expect((await recordOf(url))?.sha256).toBe(sha256(data));
  });

  it('refuses a malformed header with 400 and writes nothing', async () => {
    const data = bytes(SIZE, 44);
    const url = await newUpload(data, 'malformed.mp4');
    const good = blockHeader(data)[BLOCK_CHECKSUMS_HEADER] ?? '';
    const digests = good.split(' ')[2] ?? '';
    const cases = {
      'too few digests': blockHeader(data.subarray(0, 3 * BLOCK))[BLOCK_CHECKSUMS_HEADER],
      'no digests': `sha256 ${BLOCK}`,
      'block size too small': blockHeader(data, 32 * 1024)[BLOCK_CHECKSUMS_HEADER],
      'block size not a number': `sha256 big ${digests}`,
      'not base64': `sha256 ${BLOCK} ${digests.replace(/^[^,]+/, '!'.repeat(44))}`,
      'digest too short': `sha256 ${BLOCK} ${digests.replace(/^[^,]+/, 'AAAA')}`,
      'unknown algorithm': `md5 ${BLOCK} ${digests}`,
      'spaces in the list': `sha256 ${BLOCK} ${digests.replaceAll(',', ', ')}`,
    };
    for (const [name, header] of Object.entries(cases)) {
      const res = await s.patch(device, url, 0, data, { [BLOCK_CHECKSUMS_HEADER]: header ?? '' });
      expect(res.status, name).toBe(400);
      expect(((await res.json()) as { error: string }).error, name).toMatch(/Upload-Block-Checksums/);
    }
    expect(await offsetOf(url)).toBe('0');
    expect(stored(url).length).toBe(0);
  });

  it('accepts an empty PATCH with no digests', async () => {
    const data = bytes(1000, 45);
    const url = await newUpload(data, 'empty.mp4');
    const res = await s.patch(device, url, 0, Buffer.alloc(0), {
      [BLOCK_CHECKSUMS_HEADER]: `sha256 ${BLOCK}`,
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('upload-offset')).toBe('0');
  });

  it('takes the header the app computes from a Blob, chunk after chunk', async () => {
    const data = bytes(3 * 1024 * 1024 + 5, 46);
    const url = await newUpload(data, 'app.mp4');
    for (const [start, end] of [
      [0, 2 * 1024 * 1024],
      [2 * 1024 * 1024, data.length],
    ] as const) {
      const chunk = data.subarray(start, end);
      const header = await blockChecksums(new Blob([new Uint8Array(chunk)]));
      const res = await s.patch(device, url, start, chunk, { [BLOCK_CHECKSUMS_HEADER]: header });
      expect(res.status).toBe(204);
    }
    expect((await recordOf(url))?.sha256).toBe(sha256(data));
  });
});

describe('Upload-Block-Checksums with Upload-Checksum', () => {
  const whole = (body: Buffer) => ({
    'Upload-Checksum': `sha256 ${createHash('sha256').update(body).digest('base64')}`,
  });

  it('needs both to match on a complete body; a wrong chunk digest discards the chunk whole', async () => {
    const data = bytes(SIZE, 47);
    const url = await newUpload(data, 'both.mp4');
    const first = data.subarray(0, 2 * BLOCK);
    const wrong = await s.patch(device, url, 0, first, { ...blockHeader(first), ...whole(data) });
    expect(wrong.status).toBe(460);
    expect(wrong.headers.get('upload-offset')).toBe('0');
    expect(await offsetOf(url)).toBe('0');
    expect(stored(url).length).toBe(0);

    const ok = await s.patch(device, url, 0, first, { ...blockHeader(first), ...whole(first) });
    expect(ok.status).toBe(204);
    expect(await offsetOf(url)).toBe(String(2 * BLOCK));
  });

  it('keeps the verified blocks of a cut body', async () => {
    const data = bytes(SIZE, 48);
    const url = await newUpload(data, 'both-cut.mp4');
    const sent = 1.5 * BLOCK;
    const headers = { ...blockHeader(data), ...whole(data) };
    const hung = hangingPatch(device, url, 0, data.length, data.subarray(0, sent), headers);
    await hung.written;
    await until(
      () => received(url),
      (n) => n === sent,
    );
    hung.req.destroy();
    await hung.closed;
    expect(await offsetOf(url)).toBe(String(BLOCK));
    const rest = data.subarray(BLOCK);
    expect((await s.patch(device, url, BLOCK, rest, { ...blockHeader(rest), ...whole(rest) })).status).toBe(
      204,
    );
    expect((await recordOf(url))?.sha256).toBe(sha256(data));
  });
});
