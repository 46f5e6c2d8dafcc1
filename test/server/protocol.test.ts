import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytes,
  encodeMetadata,
  listRecords,
  OCTETS,
  sha256,
  sleep,
  startServer,
  type TestDevice,
  type TestServer,
  until,
} from './helpers.ts';

let s: TestServer;
let device: TestDevice;

beforeAll(async () => {
  s = await startServer();
  device = await s.enroll('Deck tablet');
});
afterAll(() => s?.close());

describe('tus core protocol', () => {
  it('answers OPTIONS with version, extensions, max size and checksum algorithms, without auth', async () => {
    const res = await fetch(`${s.url}/files/`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-extension')?.split(',')).toEqual(
      expect.arrayContaining(['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum']),
    );
    expect(res.headers.get('tus-max-size')).toBe(String(5 * 1024 ** 3));
    expect(res.headers.get('tus-checksum-algorithm')).toBe('sha1,sha256');
    // No CORS allowlist configured: no wildcard either.
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('creates, reports offsets, rejects a wrong offset with 409, and records the finished upload', async () => {
    const data = bytes(300_000, 7);
    const url = await s.create(device, data.length, {
      filename: 'sunset at sea.jpg',
      filetype: 'image/jpeg',
      sha256: sha256(data),
      yachtId: 'Y-042',
      systemPath: 'Deck/Tender garage',
    });
    expect(new URL(url).pathname).toMatch(/^\/files\/[0-9a-f]{32}$/);

    const head = await s.head(device, url);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
    expect(head.headers.get('upload-length')).toBe(String(data.length));
    expect(head.headers.get('cache-control')).toBe('no-store');

    const first = await s.patch(device, url, 0, data.subarray(0, 120_000));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('120000');
    expect(first.headers.get('upload-expires')).toMatch(/GMT$/);

    const conflict = await s.patch(device, url, 0, data.subarray(0, 10));
    expect(conflict.status).toBe(409);
    expect((await s.head(device, url)).headers.get('upload-offset')).toBe('120000');

    const noType = await fetch(url, {
      method: 'PATCH',
      headers: { ...device.headers, 'Upload-Offset': '120000' },
      body: new Uint8Array(10),
    });
    expect(noType.status).toBe(415);

    const last = await s.patch(device, url, 120_000, data.subarray(120_000));
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(data.length));

    // Recorded before the final 204.
    const record = (await listRecords(s.url)).find((r) => url.endsWith(String(r.id)));
    expect(record).toMatchObject({
      name: 'sunset at sea.jpg',
      type: 'image/jpeg',
      size: data.length,
      sha256: sha256(data),
      deviceId: device.deviceId,
      duplicateOf: null,
      metadata: { yachtId: 'Y-042', systemPath: 'Deck/Tender garage' },
    });

    // Finished: HEAD still answers (a client whose last response was lost), DELETE is refused,
    // and tus GET does not serve the bytes.
    const done = await s.head(device, url);
    expect(done.headers.get('upload-offset')).toBe(String(data.length));
    expect((await fetch(url, { method: 'DELETE', headers: device.headers })).status).toBe(409);
    expect((await fetch(url, { headers: device.headers })).status).toBe(404);
  });

  it('creates with upload (POST body)', async () => {
    const data = bytes(5_000, 3);
    const res = await fetch(`${s.url}/files/`, {
      method: 'POST',
      headers: {
        ...device.headers,
        'Content-Type': OCTETS,
        'Upload-Length': String(data.length),
        'Upload-Metadata': encodeMetadata({ filename: 'log.txt', filetype: 'text/plain' }),
      },
      body: new Uint8Array(data),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('upload-offset')).toBe(String(data.length));
    const id = res.headers.get('location')?.split('/').pop();
    const record = (await listRecords(s.url)).find((r) => r.id === id);
    expect(record).toMatchObject({ name: 'log.txt', type: 'text/plain', sha256: sha256(data) });
  });

  it('completes a zero-length upload at creation', async () => {
    const url = await s.create(device, 0, { filename: 'empty.txt', filetype: 'text/plain' });
    const record = (await listRecords(s.url)).find((r) => url.endsWith(String(r.id)));
    expect(record).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
  });

  it('refuses a deferred length and a missing Tus-Resumable', async () => {
    const deferred = await fetch(`${s.url}/files/`, {
      method: 'POST',
      headers: { ...device.headers, 'Upload-Defer-Length': '1' },
    });
    expect(deferred.status).toBe(501);
    const { 'Tus-Resumable': _, ...noVersion } = device.headers;
    const res = await fetch(`${s.url}/files/`, {
      method: 'POST',
      headers: { ...noVersion, 'Upload-Length': '5' },
    });
    expect(res.status).toBe(412);
  });

  it('terminates an unfinished upload', async () => {
    const url = await s.create(device, 1000, { filename: 'drop.bin' });
    expect((await s.patch(device, url, 0, bytes(100))).status).toBe(204);
    expect((await fetch(url, { method: 'DELETE', headers: device.headers })).status).toBe(204);
    expect((await s.head(device, url)).status).toBe(404);
    expect((await s.patch(device, url, 100, bytes(10))).status).toBe(404);
  });

  it('keeps what an aborted PATCH delivered and resumes from the acknowledged offset', async () => {
    const data = bytes(2_000_000, 11);
    const url = await s.create(device, data.length, { filename: 'video.mp4', filetype: 'video/mp4' });
    const http = await import('node:http');
    await new Promise<void>((resolve) => {
      const req = http.request(url, {
        method: 'PATCH',
        headers: {
          ...device.headers,
          'Content-Type': OCTETS,
          'Upload-Offset': '0',
          'Content-Length': String(data.length),
        },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(data.subarray(0, 1_000_000), () => setTimeout(() => req.destroy(), 100));
    });
    const offset = Number(
      (await until(
        () => s.head(device, url).then((r) => r.headers.get('upload-offset')),
        (o) => Number(o) > 0,
      )) ?? 0,
    );
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(1_000_000);
    expect((await s.patch(device, url, offset, data.subarray(offset))).status).toBe(204);
    const record = (await listRecords(s.url)).find((r) => url.endsWith(String(r.id)));
    expect(record?.sha256).toBe(sha256(data));
  });
});

describe('expiry', () => {
  it('sends Upload-Expires, answers 410 once expired, sweeps partial uploads and keeps completed ones', async () => {
    const e = await startServer({ TENDER_UPLOAD_EXPIRY_MS: '1500', TENDER_SWEEP_INTERVAL_MS: '200' });
    try {
      const dev = await e.enroll();
      const data = bytes(1000, 5);
      const done = await e.create(dev, data.length, { filename: 'kept.bin' });
      expect((await e.patch(dev, done, 0, data)).status).toBe(204);
      const created = await fetch(`${e.url}/files/`, {
        method: 'POST',
        headers: { ...dev.headers, 'Upload-Length': '1000' },
      });
      const expires = Date.parse(created.headers.get('upload-expires') ?? '');
      expect(expires - Date.now()).toBeGreaterThan(0);
      expect(expires - Date.now()).toBeLessThan(3000);
      const partial = new URL(created.headers.get('location') ?? '', e.url).href;
      expect((await e.patch(dev, partial, 0, bytes(10))).status).toBe(204);

      await sleep(1600);
      expect([404, 410]).toContain((await e.head(dev, partial)).status);
      const id = partial.split('/').pop() ?? '';
      expect(
        await until(
          () => e.stored.length(id),
          (x) => x === undefined,
        ),
      ).toBeUndefined();
      expect((await e.head(dev, partial)).status).toBe(404);
      expect(await e.metric('tender_uploads_failed_total{reason="expired"}')).toBe(1);

      // The completed upload outlives the expiry period.
      expect((await e.head(dev, done)).status).toBe(200);
      expect((await listRecords(e.url)).map((r) => r.sha256)).toEqual([sha256(data)]);
    } finally {
      await e.close();
    }
  });
});
