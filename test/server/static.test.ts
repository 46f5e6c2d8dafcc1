import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompressDir } from '../../server/precompress.ts';
import { startServer, type TestServer, tempDir } from './helpers.ts';

let s: TestServer;
let dist: string;
const script = Buffer.from(
  Array.from({ length: 2000 }, (_, i) => `export const value${i} = 'queue item ${i % 17}';\n`).join(''),
);
const html = Buffer.from(`<!doctype html><title>Tender</title>${'<p>Upload queue</p>'.repeat(200)}`);
const worker = Buffer.from(`self.__WB_MANIFEST = [${'"assets/app.js",'.repeat(100)}];`);

beforeAll(async () => {
  dist = tempDir('tender-dist-');
  fs.mkdirSync(path.join(dist, 'assets'));
  fs.writeFileSync(path.join(dist, 'index.html'), html);
  fs.writeFileSync(path.join(dist, 'assets', 'app-1a2b3c.js'), script);
  fs.writeFileSync(path.join(dist, 'sw.js'), worker);
  fs.writeFileSync(path.join(dist, 'icon.png'), Buffer.alloc(5000, 1));
  fs.writeFileSync(path.join(dist, 'small.txt'), 'tiny');
  await precompressDir(dist);
  s = await startServer({ TENDER_STATIC_DIR: dist });
});
afterAll(async () => {
  await s?.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

/** A raw GET (fetch would decode the body and hide what was sent). */
function get(pathname: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      const req = http.request(`${s.url}${pathname}`, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('precompressed static files', () => {
  it('sends brotli when accepted, gzip otherwise, plain last; always with Vary: Accept-Encoding', async () => {
    const br = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/(^|, )Accept-Encoding($|,)/);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(script.length / 5);
    expect(zlib.brotliDecompressSync(br.body).equals(script)).toBe(true);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');

    const gz = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).equals(script)).toBe(true);

    const refusedBr = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br;q=0, gzip;q=0.5' });
    expect(refusedBr.headers['content-encoding']).toBe('gzip');

    const plain = await get('/assets/app-1a2b3c.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/(^|, )Accept-Encoding($|,)/);
    expect(plain.body.equals(script)).toBe(true);
  });

  it('gives each encoding its own ETag and answers a matching revalidation with 304', async () => {
    const br = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br' });
    const gz = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip' });
    expect(br.headers.etag).not.toBe(gz.headers.etag);
    const again = await get('/assets/app-1a2b3c.js', {
      'Accept-Encoding': 'br',
      'If-None-Match': String(br.headers.etag),
    });
    expect(again.status).toBe(304);
    const other = await get('/assets/app-1a2b3c.js', {
      'Accept-Encoding': 'gzip',
      'If-None-Match': String(br.headers.etag),
    });
    expect(other.status).toBe(200);
  });

  it('serves the app shell compressed (also for deep links), revalidated on each load', async () => {
    const shell = await get('/enroll', { Accept: 'text/html', 'Accept-Encoding': 'br' });
    expect(shell.headers['content-encoding']).toBe('br');
    expect(shell.headers['cache-control']).toBe('no-cache');
    expect(zlib.brotliDecompressSync(shell.body).equals(html)).toBe(true);
    const head = await get('/', { 'Accept-Encoding': 'br' }, 'HEAD');
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.body.length).toBe(0);
  });

  it('leaves images and tiny files alone, and the service worker file itself unchanged', async () => {
    const png = await get('/icon.png', { 'Accept-Encoding': 'br' });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers.vary ?? '').not.toContain('Accept-Encoding');
    expect(
      (await get('/small.txt', { 'Accept-Encoding': 'br' })).headers['content-encoding'],
    ).toBeUndefined();
    expect(fs.readFileSync(path.join(dist, 'sw.js')).equals(worker)).toBe(true);
    // A second run (a rebuild) does not compress the compressed copies.
    await precompressDir(dist);
    expect(fs.readdirSync(path.join(dist, 'assets')).sort()).toEqual([
      'app-1a2b3c.js',
      'app-1a2b3c.js.br',
      'app-1a2b3c.js.gz',
    ]);
  });

  it('never sends a compressed copy older than its file (a rebuild without precompressing)', async () => {
    const file = path.join(dist, 'sw.js');
    const newer = Buffer.from(`${worker.toString()}\n// rebuilt\n`);
    fs.writeFileSync(file, newer);
    const future = new Date(Date.now() + 5000);
    fs.utimesSync(file, future, future);
    const res = await get('/sw.js', { 'Accept-Encoding': 'br, gzip' });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(newer)).toBe(true);
  });
});
