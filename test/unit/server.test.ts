import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTender, type Tender } from '../../server/app.ts';
import { loadConfig, publicBaseUrl, type TenderConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';

const ADMIN_TOKEN = 'unit-admin-token-0123456789';
const TUS = { 'Tus-Resumable': '1.0.0' };
const PATCH_HEADERS = { ...TUS, 'Content-Type': 'application/offset+octet-stream' };
const SECRET = 'do-not-serve-this-secret';

type Auth = Record<string, string>;

const b64 = (s: string) => Buffer.from(s).toString('base64');

let root: string;
let tender: Tender;

function tempDir(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function configFor(dataDir: string, staticDir: string, env: Record<string, string> = {}): TenderConfig {
  return loadConfig({
    PORT: '0',
    TENDER_DATA_DIR: dataDir,
    TENDER_STATIC_DIR: staticDir,
    TENDER_ADMIN_TOKEN: ADMIN_TOKEN,
    ...env,
  });
}

async function start(config: TenderConfig): Promise<Tender> {
  return createTender(config, { log: silentLogger });
}

async function enroll(base: string): Promise<Auth> {
  const res = await fetch(`${base}/api/devices`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ name: 'Unit tablet' }),
  });
  const { token } = (await res.json()) as { token: string };
  return { Authorization: `Bearer ${token}` };
}

async function createUpload(base: string, size: number, metadata: Record<string, string>, auth: Auth) {
  const encoded = Object.entries(metadata)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');
  const headers: Record<string, string> = { ...TUS, ...auth, 'Upload-Length': String(size) };
  if (encoded) headers['Upload-Metadata'] = encoded;
  const res = await fetch(`${base}/files/`, { method: 'POST', headers });
  expect(res.status).toBe(201);
  return new URL(res.headers.get('location') ?? '', base).href;
}

async function headOffset(url: string, auth: Auth): Promise<number> {
  const res = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth } });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return Number(res.headers.get('upload-offset'));
}

/** Raw GET through node:http: fetch would normalise '..' away before it reaches the server. */
function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: rawPath, headers: { Accept: 'text/html' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Starts a PATCH declaring `declared` bytes, sends `sent`, then waits for the server to give up. */
function partialPatch(
  url: string,
  offset: number,
  declared: number,
  sent: Buffer,
  _?: number,
  auth: Auth = {},
) {
  return new Promise<void>((resolve) => {
    const req = http.request(url, {
      method: 'PATCH',
      headers: {
        ...PATCH_HEADERS,
        ...auth,
        'Upload-Offset': String(offset),
        'Content-Length': String(declared),
      },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(sent);
  });
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tender-server-'));
  // A file next to staticDir that a traversal bug would leak.
  fs.writeFileSync(path.join(root, 'package.json'), SECRET);
  const staticDir = tempDir('dist');
  fs.mkdirSync(path.join(staticDir, 'assets'));
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Tender</title>');
  fs.writeFileSync(path.join(staticDir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  fs.writeFileSync(path.join(staticDir, 'assets', 'app-3f2a1b.js'), 'console.log(1);');
  tender = await start(configFor(tempDir('data'), staticDir));
});

afterAll(async () => {
  await tender?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('http endpoints', () => {
  it('answers /healthz with each dependency, and names the instance there and in /metrics', async () => {
    const res = await fetch(`${tender.url}/healthz`);
    expect(res.status).toBe(200);
    const port = new URL(tender.url).port;
    expect(await res.json()).toEqual({
      ok: true,
      instance: `${os.hostname()}:${port}`,
      checks: { database: { ok: true }, storage: { ok: true } },
    });
    const metrics = await (
      await fetch(`${tender.url}/metrics`, { headers: { Authorization: `Bearer ${tender.admin.token}` } })
    ).text();
    expect(metrics).toContain(`tender_uploads_started_total{instance="${os.hostname()}:${port}"} 0`);
  });

  it('serves the app shell, deep links, sw.js and hashed assets with the right caching', async () => {
    const index = await fetch(`${tender.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('<title>Tender</title>');

    const deep = await fetch(`${tender.url}/some/deep/link`, { headers: { Accept: 'text/html' } });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<title>Tender</title>');
    expect(
      (await fetch(`${tender.url}/some/deep/link`, { headers: { Accept: 'application/json' } })).status,
    ).toBe(404);
    expect((await fetch(`${tender.url}/missing.js`, { headers: { Accept: 'text/html' } })).status).toBe(404);

    const sw = await fetch(`${tender.url}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(sw.headers.get('cache-control')).toBe('no-cache');

    const asset = await fetch(`${tender.url}/assets/app-3f2a1b.js`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = asset.headers.get('etag') ?? '';
    const revalidated = await fetch(`${tender.url}/assets/app-3f2a1b.js`, {
      headers: { 'If-None-Match': etag },
    });
    expect(revalidated.status).toBe(304);

    const head = await fetch(`${tender.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('<!doctype html><title>Tender</title>'.length));
    expect(await head.text()).toBe('');

    expect((await fetch(`${tender.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('never serves files outside staticDir', async () => {
    for (const p of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/assets/..%2f..%2fpackage.json',
    ]) {
      const res = await rawGet(tender.url, p);
      expect([400, 404], p).toContain(res.status);
      expect(res.body).not.toContain(SECRET);
    }
    expect((await rawGet(tender.url, '/sw.js%00.html')).status).toBe(400);
    expect((await rawGet(tender.url, '/%E0%A4%A')).status).toBe(400);
  });
});

describe('timeouts', () => {
  it('does not cap request duration but drops a stalled PATCH after the idle timeout', async () => {
    const staticDir = tempDir('empty-dist');
    const server = await start(
      configFor(tempDir('data-stall'), staticDir, { TENDER_IDLE_TIMEOUT_MS: '300' }),
    );
    try {
      expect(server.server.requestTimeout).toBe(0);
      const auth = await enroll(server.url);
      const url = await createUpload(server.url, 10_000, { filename: 'stall.bin' }, auth);
      const started = Date.now();
      await partialPatch(url, 0, 10_000, randomBytes(1_000), undefined, auth);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await headOffset(url, auth)).toBe(1_000);

      // Without a build, the shell explains what to do instead of a bare 404.
      const res = await fetch(`${server.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await server.close();
    }
  });
});

describe('loadConfig', () => {
  it('applies defaults and rejects invalid values by name', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', idleTimeoutMs: 60_000 });
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.staticDir.endsWith(`${path.sep}dist`)).toBe(true);
    expect(fs.existsSync(path.join(path.dirname(config.staticDir), 'package.json'))).toBe(true);
    expect(() => loadConfig({ PORT: 'http' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ TENDER_IDLE_TIMEOUT_MS: '0' })).toThrow(/TENDER_IDLE_TIMEOUT_MS/);
    expect(() => loadConfig({ TENDER_IDLE_TIMEOUT_MS: '1.5' })).toThrow(/TENDER_IDLE_TIMEOUT_MS/);
    expect(config).toMatchObject({
      maxUploadBytes: 5 * 1024 ** 3,
      minFreeBytes: 1024 ** 3,
      testFaults: false,
    });
    expect(config.corsOrigins.size).toBe(0);
    expect(
      loadConfig({ TENDER_CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).corsOrigins,
    ).toEqual(new Set(['https://a.example', 'http://b.example:8080']));
    expect(() => loadConfig({ TENDER_CORS_ORIGINS: 'https://a.example/app' })).toThrow(/TENDER_CORS_ORIGINS/);
    expect(() => loadConfig({ TENDER_TLS_CERT: '/x.pem' })).toThrow(/TENDER_TLS_KEY/);
    expect(() => loadConfig({ TENDER_ADMIN_TOKEN: 'short' })).toThrow(/TENDER_ADMIN_TOKEN/);
    expect(() => loadConfig({ TENDER_PUBLIC_URL: 'tender.local' })).toThrow(/TENDER_PUBLIC_URL/);
    expect(loadConfig({ TENDER_ALLOWED_TYPES: 'image/*, application/pdf' }).allowedTypes).toEqual([
      'image/*',
      'application/pdf',
    ]);
  });

  it('builds enrolment links from TENDER_PUBLIC_URL or the server URL with localhost for loopback', () => {
    expect(publicBaseUrl({ publicUrl: undefined }, 'http://127.0.0.1:8080')).toBe('http://localhost:8080');
    expect(publicBaseUrl({ publicUrl: undefined }, 'http://0.0.0.0:8080')).toBe('http://localhost:8080');
    expect(publicBaseUrl({ publicUrl: undefined }, 'https://192.168.1.5:8443')).toBe(
      'https://192.168.1.5:8443',
    );
    expect(publicBaseUrl({ publicUrl: 'https://tender.boat.example' }, 'http://127.0.0.1:8080')).toBe(
      'https://tender.boat.example',
    );
  });
});
