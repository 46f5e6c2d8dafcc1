import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTender } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import {
  ADMIN,
  bytes,
  OCTETS,
  startServer,
  type TestDevice,
  type TestServer,
  TUS,
  tempDir,
} from './helpers.ts';

let s: TestServer;
let deck: TestDevice;
let bridge: TestDevice;

beforeAll(async () => {
  s = await startServer();
  deck = await s.enroll('Deck tablet');
  bridge = await s.enroll('Bridge phone');
});
afterAll(() => s?.close());

describe('device tokens', () => {
  it('refuses tus requests with a missing or unknown token with 401 and a JSON error', async () => {
    const before = await s.metric('tender_auth_failures_total');
    const missing = await fetch(`${s.url}/files/`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': '10' },
    });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await missing.json()) as { error: string }).error).toMatch(/token/);
    const wrong = await fetch(`${s.url}/files/`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': '10', Authorization: 'Bearer not-a-real-token' },
    });
    expect(wrong.status).toBe(401);
    const url = await s.create(deck, 10);
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(401);
    expect(
      (
        await fetch(url, {
          method: 'PATCH',
          headers: { ...TUS, 'Content-Type': OCTETS, 'Upload-Offset': '0', Authorization: 'Bearer x' },
          body: 'abc',
        })
      ).status,
    ).toBe(401);
    expect(await s.metric('tender_auth_failures_total')).toBe(before + 4);
  });

  it('hides one device’s uploads from another (404 for HEAD, PATCH, DELETE and progress)', async () => {
    const url = await s.create(deck, 100, { filename: 'mine.txt', filetype: 'text/plain' });
    const id = url.split('/').pop();
    expect((await s.head(bridge, url)).status).toBe(404);
    expect((await s.patch(bridge, url, 0, bytes(10))).status).toBe(404);
    expect((await fetch(url, { method: 'DELETE', headers: bridge.headers })).status).toBe(404);
    expect((await fetch(`${s.url}/api/progress/${id}`, { headers: bridge.headers })).status).toBe(404);
    // The owner still sees it untouched.
    expect((await s.head(deck, url)).headers.get('upload-offset')).toBe('0');
    const progress = await fetch(`${s.url}/api/progress/${id}`, { headers: deck.headers });
    expect(await progress.json()).toEqual({ offset: 0, length: 100, received: 0 });
  });

  it('refuses a revoked device on its very next request, even mid-upload', async () => {
    const crew = await s.enroll('Crew mess tablet');
    const url = await s.create(crew, 100);
    expect((await s.patch(crew, url, 0, bytes(50))).status).toBe(204);
    const revoke = await fetch(`${s.url}/api/devices/${crew.deviceId}`, { method: 'DELETE', headers: ADMIN });
    expect(revoke.status).toBe(204);
    const res = await s.patch(crew, url, 50, bytes(50));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/revoked/);
    expect((await fetch(`${s.url}/api/device`, { headers: crew.headers })).status).toBe(401);
    const list = (await (await fetch(`${s.url}/api/devices`, { headers: ADMIN })).json()) as Record<
      string,
      unknown
    >[];
    expect(list.find((d) => d.deviceId === crew.deviceId)?.revokedAt).toEqual(expect.any(String));
    expect((await fetch(`${s.url}/api/devices/nope`, { method: 'DELETE', headers: ADMIN })).status).toBe(404);
  });

  it('tells a device who it is', async () => {
    const res = await fetch(`${s.url}/api/device`, { headers: deck.headers });
    expect(await res.json()).toEqual({ deviceId: deck.deviceId, name: 'Deck tablet' });
  });
});

describe('admin API', () => {
  it('needs the admin token for uploads, devices and metrics; a device token is not enough', async () => {
    for (const p of [
      '/api/uploads',
      '/api/devices',
      '/metrics',
      '/api/uploads/abc',
      '/api/uploads/abc/content',
    ]) {
      expect((await fetch(`${s.url}${p}`)).status, p).toBe(401);
      expect(
        (await fetch(`${s.url}${p}`, { headers: { Authorization: `Bearer ${deck.token}` } })).status,
        p,
      ).toBe(401);
    }
    expect((await fetch(`${s.url}/api/devices`, { method: 'POST', body: '{"name":"x"}' })).status).toBe(401);
  });

  it('enrols a device: token shown once, never listed, enrolment link with a one-time code in the fragment', async () => {
    const res = await fetch(`${s.url}/api/devices`, {
      method: 'POST',
      headers: ADMIN,
      body: '{"name":"  Galley  "}',
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { deviceId: string; name: string; token: string; enrollUrl: string };
    expect(body.name).toBe('Galley');
    expect(Buffer.from(body.token, 'base64url').length).toBeGreaterThanOrEqual(32);
    const port = new URL(s.url).port;
    expect(body.enrollUrl).toMatch(new RegExp(`^http://localhost:${port}/enroll#code=[A-Za-z0-9_-]{22}$`));
    expect(body.enrollUrl).not.toContain(body.token);
    const list = await (await fetch(`${s.url}/api/devices`, { headers: ADMIN })).text();
    expect(list).toContain(body.deviceId);
    expect(list).not.toContain(body.token);
    for (const bad of [
      '{}',
      '{"name":""}',
      '{"name":"a\\u0000b"}',
      'not json',
      `{"name":"${'x'.repeat(101)}"}`,
    ]) {
      expect(
        (await fetch(`${s.url}/api/devices`, { method: 'POST', headers: ADMIN, body: bad })).status,
        bad,
      ).toBe(400);
    }
  });

  it('leaves /healthz, /probe and the app open', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const probe = await fetch(`${s.url}/probe`);
    expect(probe.status).toBe(200);
    expect(probe.headers.get('cache-control')).toBe('no-store');
    expect((await probe.text()).length).toBeLessThan(8);
    expect((await (await fetch(`${s.url}/probe?bytes=65536`)).arrayBuffer()).byteLength).toBe(65_536);
    expect((await (await fetch(`${s.url}/probe?bytes=999999`)).arrayBuffer()).byteLength).toBe(65_536);
    const enroll = await fetch(`${s.url}/enroll`, { headers: { Accept: 'text/html' } });
    expect(enroll.status).toBe(200);
    expect(await enroll.text()).toContain('<title>Tender</title>');
  });
});

describe('admin token', () => {
  it('is generated once into <dataDir>/admin-token (0600) when TENDER_ADMIN_TOKEN is unset, then reused', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const config = loadConfig({ PORT: '0', TENDER_DATA_DIR: dataDir, TENDER_STATIC_DIR: dataDir });
    const first = await createTender(config, { log: silentLogger });
    await first.close();
    const file = path.join(dataDir, 'admin-token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.admin).toMatchObject({ source: 'file', created: true });
    const second = await createTender(config, { log: silentLogger });
    try {
      expect(second.admin).toMatchObject({ token: first.admin.token, created: false });
      const res = await fetch(`${second.url}/api/devices`, {
        headers: { Authorization: `Bearer ${first.admin.token}` },
      });
      expect(res.status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
