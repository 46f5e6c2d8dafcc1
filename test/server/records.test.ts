import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadRecord } from '../../server/records.ts';
import {
  ADMIN,
  bytes,
  listRecords,
  OCTETS,
  sha256,
  sleep,
  startServer,
  type TestDevice,
  type TestServer,
} from './helpers.ts';

let s: TestServer;
let deck: TestDevice;
let bridge: TestDevice;
const recorded: UploadRecord[] = [];

async function upload(device: TestDevice, data: Buffer, metadata: Record<string, string>): Promise<string> {
  const url = await s.create(device, data.length, { sha256: sha256(data), ...metadata });
  const res = await s.patch(device, url, 0, data);
  if (res.status !== 204) throw new Error(`upload failed: ${res.status}`);
  return url.split('/').pop() ?? '';
}

beforeAll(async () => {
  s = await startServer({}, { onUploadRecorded: [(r) => void recorded.push(r)] });
  deck = await s.enroll('Deck tablet');
  bridge = await s.enroll('Bridge/phone');
});
afterAll(() => s?.close());

describe('records', () => {
  it('files completed uploads under uploads/<YYYY>/<MM>/<device>/<id>-<name> and notifies listeners', async () => {
    const data = bytes(10_000, 41);
    const id = await upload(deck, data, {
      filename: 'Main engine: oil "sample".pdf',
      filetype: 'application/pdf',
      yachtId: 'Y-7',
      systemPath: 'Engine room/Main engine/Port',
      directories: 'Certificates,Engine',
      documentType: 'certificate',
      systemTag: 'ME-P',
      priority: '2',
      queueId: 'q-123',
    });
    const [record] = await listRecords(s.url, `?q=${encodeURIComponent('oil')}`);
    const month = new Date().toISOString().slice(0, 7).replace('-', '/');
    expect(record).toMatchObject({
      id,
      deviceId: deck.deviceId,
      path: `uploads/${month}/Deck tablet/${id}-Main engine_ oil _sample_.pdf`,
      metadata: {
        yachtId: 'Y-7',
        systemPath: 'Engine room/Main engine/Port',
        priority: '2',
        queueId: 'q-123',
      },
    });
    expect(fs.readFileSync(path.join(s.dataDir, String(record?.path))).equals(data)).toBe(true);
    expect(fs.readdirSync(path.join(s.dataDir, 'files'))).not.toContain(id);
    await sleep(10);
    expect(recorded.map((r) => r.id)).toContain(id);

    const single = await fetch(`${s.url}/api/uploads/${id}`, { headers: ADMIN });
    expect(await single.json()).toMatchObject({ id, sha256: sha256(data) });
    expect((await fetch(`${s.url}/api/uploads/nope`, { headers: ADMIN })).status).toBe(404);
  });

  it('streams content with its type, nosniff, a sandbox and a safe attachment filename', async () => {
    const data = Buffer.from('<script>alert(1)</script>');
    const id = await upload(bridge, data, { filename: 'évil\\..\\"x".html', filetype: 'text/html' });
    const res = await fetch(`${s.url}/api/uploads/${id}/content`, { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="_x_.html"; filename\*=UTF-8''_x_.html$/);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    // Device folder names lose their separators too.
    const record = (await listRecords(s.url)).find((r) => r.id === id);
    expect(String(record?.path)).toContain('/Bridge_phone/');
  });

  it('filters by device, type, time and text, pages newest first', async () => {
    const t0 = new Date().toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        await upload(i % 2 ? bridge : deck, bytes(100 + i, 50 + i), {
          filename: `page-${i}.jpg`,
          filetype: 'image/jpeg',
        }),
      );
    }
    const since = `?since=${encodeURIComponent(t0)}`;
    expect((await listRecords(s.url, since)).map((r) => r.id)).toEqual([...ids].reverse());
    expect((await listRecords(s.url, `${since}&limit=2`)).map((r) => r.id)).toEqual([ids[4], ids[3]]);
    expect((await listRecords(s.url, `${since}&limit=2&offset=2`)).map((r) => r.id)).toEqual([
      ids[2],
      ids[1],
    ]);
    expect((await listRecords(s.url, `${since}&device=${bridge.deviceId}`)).map((r) => r.id)).toEqual([
      ids[3],
      ids[1],
    ]);
    expect((await listRecords(s.url, `${since}&type=image`)).length).toBe(5);
    expect((await listRecords(s.url, `${since}&type=image/*`)).length).toBe(5);
    expect((await listRecords(s.url, `${since}&type=image/png`)).length).toBe(0);
    expect((await listRecords(s.url, `?q=page-3`)).map((r) => r.id)).toEqual([ids[3]]);
    expect((await listRecords(s.url, `?q=${encodeURIComponent('%')}`)).length).toBe(0);
    expect(
      (await listRecords(s.url, `?until=${encodeURIComponent(t0)}`)).every(
        (r) => !ids.includes(String(r.id)),
      ),
    ).toBe(true);
    for (const bad of ['?limit=-1', '?limit=5000', '?since=yesterday', '?offset=x']) {
      expect((await fetch(`${s.url}/api/uploads${bad}`, { headers: ADMIN })).status, bad).toBe(400);
    }
  });
});

describe('dedupe', () => {
  it('records a duplicate for the asking device without bytes, and 404s unknown content', async () => {
    const data = bytes(20_000, 61);
    const original = await upload(deck, data, { filename: 'hull.jpg', filetype: 'image/jpeg' });
    const ask = (device: TestDevice, body: unknown) =>
      fetch(`${s.url}/api/dedupe`, { method: 'POST', headers: device.headers, body: JSON.stringify(body) });

    const miss = await ask(bridge, { sha256: sha256(bytes(20_000, 62)), size: 20_000, metadata: {} });
    expect(miss.status).toBe(404);
    expect(((await miss.json()) as { error: string }).error).toBeTruthy();
    // Same digest, other size: not the same file.
    expect((await ask(bridge, { sha256: sha256(data), size: 19_999, metadata: {} })).status).toBe(404);

    const before = await s.metric('tender_bytes_received_total');
    const hit = await ask(bridge, {
      sha256: sha256(data).toUpperCase(),
      size: data.length,
      metadata: { filename: 'hull again.jpg', filetype: 'image/jpeg', queueId: 'q-9' },
    });
    expect(hit.status).toBe(200);
    const body = (await hit.json()) as { id: string };
    // The asking device learns its own record's id, nothing about the upload it duplicates.
    expect(Object.keys(body)).toEqual(['id']);
    expect(await s.metric('tender_bytes_received_total')).toBe(before);

    const record = (await listRecords(s.url)).find((r) => r.id === body.id);
    expect(record).toMatchObject({
      deviceId: bridge.deviceId,
      duplicateOf: original,
      name: 'hull again.jpg',
      size: data.length,
      sha256: sha256(data),
      metadata: { queueId: 'q-9' },
    });
    expect(fs.readFileSync(path.join(s.dataDir, String(record?.path))).equals(data)).toBe(true);
    const content = await fetch(`${s.url}/api/uploads/${body.id}/content`, { headers: ADMIN });
    expect(Buffer.from(await content.arrayBuffer()).equals(data)).toBe(true);

    // A duplicate of a duplicate points at the original.
    const again = await ask(deck, { sha256: sha256(data), size: data.length, metadata: {} });
    const againId = ((await again.json()) as { id: string }).id;
    expect((await listRecords(s.url)).find((r) => r.id === againId)?.duplicateOf).toBe(original);

    for (const bad of [
      {},
      { sha256: 'x', size: 1 },
      { sha256: sha256(data), size: -1 },
      { sha256: sha256(data), size: 1, metadata: 'x' },
    ]) {
      expect((await ask(deck, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect(
      (await ask(deck, { sha256: sha256(data), size: data.length, metadata: { filetype: 'x/y' } })).status,
    ).toBe(415);
    expect((await fetch(`${s.url}/api/dedupe`, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

describe('CORS', () => {
  it('allows only the configured origins, for tus and the API, with the headers a tus client reads', async () => {
    const c = await startServer({ TENDER_CORS_ORIGINS: 'https://app.example' });
    try {
      const a = await c.enroll();
      const preflight = await fetch(`${c.url}/files/`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Upload-Checksum/);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Upload-Block-Checksums/);
      const created = await fetch(`${c.url}/files/`, {
        method: 'POST',
        headers: { ...a.headers, Origin: 'https://app.example', 'Upload-Length': '1' },
      });
      expect(created.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(created.headers.get('access-control-expose-headers')).toMatch(/Location/);
      const refused = await fetch(`${c.url}/files/`, {
        method: 'POST',
        headers: { Origin: 'https://app.example', 'Tus-Resumable': '1.0.0', 'Upload-Length': '1' },
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const other = await fetch(`${c.url}/files/`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const api = await fetch(`${c.url}/api/device`, {
        headers: { ...a.headers, Origin: 'https://app.example' },
      });
      expect(api.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const apiPreflight = await fetch(`${c.url}/api/dedupe`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example' },
      });
      expect(apiPreflight.status).toBe(204);
      expect(apiPreflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    } finally {
      await c.close();
    }
  });
});

describe('test faults', () => {
  it('are off unless TENDER_TEST_FAULTS=1', async () => {
    expect(
      (
        await fetch(`${s.url}/__test/faults`, {
          method: 'POST',
          headers: ADMIN,
          body: '{"status":500,"count":1}',
        })
      ).status,
    ).toBe(404);
  });

  it('answer the next matching tus requests with the queued status and headers', async () => {
    const f = await startServer({ TENDER_TEST_FAULTS: '1' });
    try {
      const a = await f.enroll();
      const url = await f.create(a, 10);
      const queue = (body: unknown) =>
        fetch(`${f.url}/__test/faults`, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) });
      expect((await fetch(`${f.url}/__test/faults`, { method: 'POST', body: '{}' })).status).toBe(401);
      expect((await queue({ status: 'x', count: 1 })).status).toBe(400);
      expect(
        (
          await queue({
            method: 'PATCH',
            status: 503,
            count: 2,
            headers: { 'Retry-After': '2' },
            body: 'busy',
          })
        ).status,
      ).toBe(204);
      // HEAD is not matched; PATCH twice is.
      expect((await f.head(a, url)).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const res = await f.patch(a, url, 0, bytes(10));
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(await res.text()).toBe('busy');
      }
      expect((await f.patch(a, url, 0, bytes(5))).status).toBe(204);
      expect((await queue({ status: 500, count: 5 })).status).toBe(204);
      expect((await fetch(`${f.url}/__test/faults`, { method: 'DELETE', headers: ADMIN })).status).toBe(204);
      expect((await f.patch(a, url, 5, bytes(5))).status).toBe(204);
      // Faults come after auth: a request without a token still gets 401.
      expect((await queue({ status: 500, count: 1 })).status).toBe(204);
      const anon = await fetch(`${f.url}/files/`, {
        method: 'POST',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '1' },
      });
      expect(anon.status).toBe(401);
      const content = await fetch(url, {
        method: 'PATCH',
        headers: { ...a.headers, 'Content-Type': OCTETS, 'Upload-Offset': '10' },
      });
      expect(content.status).toBe(500);
    } finally {
      await f.close();
    }
  });
});
