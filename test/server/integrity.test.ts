import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, listRecords, sha256, startServer, type TestDevice, type TestServer } from './helpers.ts';

let s: TestServer;
let device: TestDevice;

beforeAll(async () => {
  s = await startServer();
  device = await s.enroll();
});
afterAll(() => s?.close());

const digest = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('base64');

describe('tus checksum extension', () => {
  it('accepts chunks whose sha1 or sha256 matches', async () => {
    const data = bytes(100_000, 2);
    const url = await s.create(device, data.length, { filename: 'a.bin', sha256: sha256(data) });
    const one = data.subarray(0, 40_000);
    const two = data.subarray(40_000);
    expect(
      (await s.patch(device, url, 0, one, { 'Upload-Checksum': `sha1 ${digest('sha1', one)}` })).status,
    ).toBe(204);
    const last = await s.patch(device, url, 40_000, two, {
      'Upload-Checksum': `sha256 ${digest('sha256', two)}`,
    });
    expect(last.status).toBe(204);
    expect((await listRecords(s.url)).find((r) => url.endsWith(String(r.id)))?.sha256).toBe(sha256(data));
  });

  it('answers 460 to a mismatching chunk, discards it and keeps the offset', async () => {
    const before = await s.metric('tender_checksum_failures_total');
    const data = bytes(50_000, 4);
    const url = await s.create(device, data.length, { filename: 'b.bin', sha256: sha256(data) });
    expect((await s.patch(device, url, 0, data.subarray(0, 10_000))).status).toBe(204);
    const chunk = data.subarray(10_000, 30_000);
    const corrupted = Buffer.from(chunk);
    corrupted[5] = (corrupted[5] ?? 0) ^ 0xff;
    const res = await s.patch(device, url, 10_000, corrupted, {
      'Upload-Checksum': `sha256 ${digest('sha256', chunk)}`,
    });
    expect(res.status).toBe(460);
    expect(res.headers.get('upload-offset')).toBe('10000');
    expect((await s.head(device, url)).headers.get('upload-offset')).toBe('10000');
    expect(await s.stored.length(url.split('/').pop() ?? '')).toBe(10_000);
    expect(await s.metric('tender_checksum_failures_total')).toBe(before + 1);
    // The same chunk, sent intact, goes through; the file's digest proves the bad bytes are gone.
    const retry = await s.patch(device, url, 10_000, data.subarray(10_000), {
      'Upload-Checksum': `sha256 ${digest('sha256', data.subarray(10_000))}`,
    });
    expect(retry.status).toBe(204);
    expect((await listRecords(s.url)).find((r) => url.endsWith(String(r.id)))?.sha256).toBe(sha256(data));
  });

  it('refuses an unsupported algorithm or a malformed header with 400 before reading the body', async () => {
    const url = await s.create(device, 10);
    for (const header of ['md5 1B2M2Y8AsgTpgAmY7PhCfg==', 'sha256', 'sha256 !!!', 'sha1 AAAA']) {
      const res = await s.patch(device, url, 0, bytes(10), { 'Upload-Checksum': header });
      expect(res.status, header).toBe(400);
    }
    expect((await s.head(device, url)).headers.get('upload-offset')).toBe('0');
  });
});

describe('whole-file sha256', () => {
  it('discards an upload whose bytes do not match its sha256 metadata and answers the final PATCH 460', async () => {
    const before = await s.metric('tender_checksum_failures_total');
    const data = bytes(30_000, 6);
    const url = await s.create(device, data.length, { filename: 'c.bin', sha256: sha256(bytes(30_000, 7)) });
    expect((await s.patch(device, url, 0, data.subarray(0, 10_000))).status).toBe(204);
    const last = await s.patch(device, url, 10_000, data.subarray(10_000));
    expect(last.status).toBe(460);
    expect(await last.text()).toMatch(/sha256/);
    expect((await s.head(device, url)).status).toBe(404);
    expect((await listRecords(s.url)).find((r) => url.endsWith(String(r.id)))).toBeUndefined();
    expect(await s.stored.length(url.split('/').pop() ?? '')).toBeUndefined();
    expect(await s.metric('tender_checksum_failures_total')).toBe(before + 1);
    expect(await s.metric('tender_uploads_failed_total{reason="checksum"}')).toBe(1);
  });

  it('verifies a file re-read from disk after a restart', async () => {
    const data = bytes(20_000, 8);
    const r = await startServer();
    const dataDir = r.dataDir;
    const a = await r.enroll();
    const url = await r.create(a, data.length, { filename: 'd.bin', sha256: sha256(data) });
    expect((await r.patch(a, url, 0, data.subarray(0, 5_000))).status).toBe(204);
    await r.tender.close();
    const again = await startServer({ TENDER_DATA_DIR: dataDir });
    try {
      const moved = new URL(new URL(url).pathname, again.url).href;
      expect((await again.patch(a, moved, 5_000, data.subarray(5_000))).status).toBe(204);
      expect((await listRecords(again.url)).find((x) => url.endsWith(String(x.id)))?.sha256).toBe(
        sha256(data),
      );
    } finally {
      await again.close();
    }
  });
});
