import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTender, type Tender } from '../../server/app.ts';
import { loadConfig, type TenderConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import type { UploadRecord } from '../../server/records.ts';

const TUS = { 'Tus-Resumable': '1.0.0' };
const PATCH_HEADERS = { ...TUS, 'Content-Type': 'application/offset+octet-stream' };
const SECRET = 'do-not-serve-this-secret';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let root: string;
let tender: Tender;

function tempDir(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function configFor(dataDir: string, staticDir: string, env: Record<string, string> = {}): TenderConfig {
  return loadConfig({ PORT: '0', TENDER_DATA_DIR: dataDir, TENDER_STATIC_DIR: staticDir, ...env });
}

async function start(config: TenderConfig): Promise<Tender> {
  return createTender(config, { log: silentLogger });
}

async function createUpload(base: string, size: number, metadata: Record<string, string>): Promise<string> {
  const encoded = Object.entries(metadata)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');
  const headers: Record<string, string> = { ...TUS, 'Upload-Length': String(size) };
  // An empty Upload-Metadata header is a 400 in tus; clients omit it.
  if (encoded) headers['Upload-Metadata'] = encoded;
  const res = await fetch(`${base}/files/`, { method: 'POST', headers });
  expect(res.status).toBe(201);
  const location = res.headers.get('location');
  expect(location).toMatch(/^\/files\/[0-9a-f]{32}$/);
  return new URL(location ?? '', base).href;
}

async function patch(url: string, offset: number, body: Buffer): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...PATCH_HEADERS, 'Upload-Offset': String(offset) },
    // Copy: DOM's BodyInit typing rejects a Buffer view over a possibly shared ArrayBuffer.
    body: new Uint8Array(body),
  });
}

async function headOffset(url: string): Promise<number> {
  const res = await fetch(url, { method: 'HEAD', headers: TUS });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return Number(res.headers.get('upload-offset'));
}

async function listUploads(base: string): Promise<UploadRecord[]> {
  const res = await fetch(`${base}/api/uploads`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return (await res.json()) as UploadRecord[];
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
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

/**
 * Starts a PATCH declaring `declared` bytes, sends `sent`, then either destroys the socket
 * (`destroyAfterMs`) or just waits for the server to give up. Resolves when the socket is gone.
 */
function partialPatch(url: string, offset: number, declared: number, sent: Buffer, destroyAfterMs?: number) {
  return new Promise<void>((resolve) => {
    const req = http.request(url, {
      method: 'PATCH',
      headers: { ...PATCH_HEADERS, 'Upload-Offset': String(offset), 'Content-Length': String(declared) },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(sent, () => {
      if (destroyAfterMs !== undefined) setTimeout(() => req.destroy(), destroyAfterMs);
    });
  });
}

async function until<T>(probe: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
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

describe('tus uploads', () => {
  it('creates, patches in two chunks, rejects a wrong offset, and records the upload', async () => {
    const data = randomBytes(300_000);
    const bytesBefore = await metric(tender.url, 'tender_bytes_received_total');
    const url = await createUpload(tender.url, data.length, {
      filename: 'sunset at sea.jpg',
      filetype: 'image/jpeg',
      crew: 'Ana',
    });
    expect(await headOffset(url)).toBe(0);

    const first = await patch(url, 0, data.subarray(0, 120_000));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('120000');
    expect(await headOffset(url)).toBe(120_000);

    const conflict = await patch(url, 0, data.subarray(0, 10));
    expect(conflict.status).toBe(409);
    expect(await headOffset(url)).toBe(120_000);

    const last = await patch(url, 120_000, data.subarray(120_000));
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(data.length));

    // Recorded before the final 204, so no polling here.
    const record = (await listUploads(tender.url)).find((r) => url.endsWith(r.id));
    expect(record).toMatchObject({
      name: 'sunset at sea.jpg',
      type: 'image/jpeg',
      size: data.length,
      sha256: sha256(data),
      metadata: { filename: 'sunset at sea.jpg', filetype: 'image/jpeg', crew: 'Ana' },
    });
    expect(Number.isNaN(Date.parse(record?.receivedAt ?? ''))).toBe(false);

    const bytes = (await metric(tender.url, 'tender_bytes_received_total')) - bytesBefore;
    expect(bytes).toBeGreaterThanOrEqual(data.length);
    expect(await metric(tender.url, 'tender_uploads_completed_total')).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${tender.url}/metrics`)).text();
    expect(metrics).toMatch(/tender_http_requests_total\{method="PATCH",status="409"\} \d+/);

    // Finished uploads are neither downloadable nor deletable through tus.
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(url, { method: 'DELETE', headers: TUS })).status).toBe(400);
  });

  it('creates with upload (POST body) and falls back to name/type metadata keys', async () => {
    const data = randomBytes(5_000);
    const res = await fetch(`${tender.url}/files/`, {
      method: 'POST',
      headers: {
        ...PATCH_HEADERS,
        'Upload-Length': String(data.length),
        'Upload-Metadata': `name ${b64('log.txt')},type ${b64('text/plain')}`,
      },
      body: data,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('upload-offset')).toBe(String(data.length));
    const id = res.headers.get('location')?.split('/').pop();
    const record = (await listUploads(tender.url)).find((r) => r.id === id);
    expect(record).toMatchObject({ name: 'log.txt', type: 'text/plain', sha256: sha256(data) });
  });

  it('falls back to the id and application/octet-stream without metadata', async () => {
    const url = await createUpload(tender.url, 3, {});
    expect((await patch(url, 0, Buffer.from('abc'))).status).toBe(204);
    const id = url.split('/').pop();
    const record = (await listUploads(tender.url)).find((r) => r.id === id);
    expect(record).toMatchObject({ name: id, type: 'application/octet-stream', metadata: {} });
  });

  it('terminates an unfinished upload', async () => {
    const url = await createUpload(tender.url, 1000, { filename: 'drop.bin' });
    expect((await patch(url, 0, randomBytes(100))).status).toBe(204);
    expect((await fetch(url, { method: 'DELETE', headers: TUS })).status).toBe(204);
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(404);
    expect((await patch(url, 100, randomBytes(10))).status).toBe(404);
  });

  it('keeps what an aborted PATCH delivered and resumes from the server offset', async () => {
    const data = randomBytes(2_000_000);
    const chunk = 1_000_000;
    const bytesBefore = await metric(tender.url, 'tender_bytes_received_total');
    const url = await createUpload(tender.url, data.length, { filename: 'video.mp4', filetype: 'video/mp4' });

    // Declare the whole file, send half, then drop the connection mid-body.
    await partialPatch(url, 0, data.length, data.subarray(0, chunk), 100);
    // HEAD waits for the aborted PATCH to release its lock, so this is the final stored offset.
    const offset = await headOffset(url);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(chunk);

    const rest = await patch(url, offset, data.subarray(offset));
    expect(rest.status).toBe(204);
    const record = (await listUploads(tender.url)).find((r) => url.endsWith(r.id));
    expect(record?.sha256).toBe(sha256(data));

    // Resume cost at most one chunk on top of the file.
    const bytes = (await metric(tender.url, 'tender_bytes_received_total')) - bytesBefore;
    expect(bytes).toBeGreaterThanOrEqual(data.length);
    expect(bytes).toBeLessThanOrEqual(data.length + chunk);
  });
});

describe('http endpoints', () => {
  it('answers /healthz', async () => {
    const res = await fetch(`${tender.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
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
      const url = await createUpload(server.url, 10_000, { filename: 'stall.bin' });
      const started = Date.now();
      await partialPatch(url, 0, 10_000, randomBytes(1_000));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await headOffset(url)).toBe(1_000);

      // Without a build, the shell explains what to do instead of a bare 404.
      const res = await fetch(`${server.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await server.close();
    }
  });
});

describe('restart', () => {
  it('records uploads completed but not recorded, and expires only unfinished ones', async () => {
    const dataDir = tempDir('data-restart');
    const staticDir = tempDir('empty-dist');
    const data = randomBytes(50_000);

    const first = await start(configFor(dataDir, staticDir));
    const done = await createUpload(first.url, data.length, { filename: 'done.bin' });
    expect((await patch(done, 0, data)).status).toBe(204);
    const unfinished = await createUpload(first.url, 1_000, { filename: 'half.bin' });
    expect((await patch(unfinished, 0, randomBytes(500))).status).toBe(204);
    await first.close();
    // Simulate a crash after the last byte was written but before the record was committed.
    for (const f of fs.readdirSync(dataDir)) if (f.startsWith('tender.db')) fs.rmSync(path.join(dataDir, f));

    const second = await start(configFor(dataDir, staticDir));
    try {
      const doneUrl = new URL(new URL(done).pathname, second.url).href;
      // The HEAD a resuming client sends makes sure the record exists before it reports completion.
      expect(await headOffset(doneUrl)).toBe(data.length);
      const records = await listUploads(second.url);
      expect(records.map((r) => r.sha256)).toEqual([sha256(data)]);
    } finally {
      await second.close();
    }

    const filesDir = path.join(dataDir, 'files');
    const exists = (url: string) => fs.existsSync(path.join(filesDir, url.split('/').pop() ?? ''));
    const third = await start(configFor(dataDir, staticDir, { TENDER_UPLOAD_EXPIRY_MS: '1' }));
    try {
      expect(
        await until(
          () => exists(unfinished),
          (e) => !e,
        ),
      ).toBe(false);
      expect(exists(done)).toBe(true);
    } finally {
      await third.close();
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
  });
});
