import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS, makeFile, sha256, startServer, type TenderServer } from './fixtures.ts';

// A plain page on another origin, with the stock browser build of tus-js-client and no service worker:
// any tus client holding a device token must be able to upload.
const TUS_CLIENT = path.resolve('node_modules/tus-js-client/dist/tus.min.js');

let server: TenderServer;
let pages: http.Server;
let pageOrigin: string;

test.beforeAll(async () => {
  // A real local origin: Chromium's local-network-access rules refuse a page it cannot place.
  pages = http.createServer((req, res) => {
    if (req.url === '/tus.min.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(fs.readFileSync(TUS_CLIENT));
    } else {
      res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!doctype html><title>interop</title><script src="/tus.min.js"></script>');
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`;
  server = await startServer({ TENDER_CORS_ORIGINS: pageOrigin, TENDER_TEST_FAULTS: '1' });
});
test.afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => pages?.close(resolve));
});

test('tus-js-client in a plain cross-origin page uploads with a device token, through a server error', async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${pageOrigin}/interop.html`);
    await page.waitForFunction(() => 'tus' in window);

    const enrolment = await server.enroll('Interop page');
    if (!enrolment) throw new Error('server has no device enrolment');
    // One PATCH fails with a 500: the client retries and resumes from the server's offset.
    const fault = await fetch(`${server.url}/__test/faults`, {
      method: 'POST',
      headers: server.adminHeaders,
      body: JSON.stringify({ method: 'PATCH', status: 500, count: 1 }),
    });
    expect(fault.status).toBe(204);

    const size = 1024 * 1024 + 123;
    const expected = sha256(makeFile(size, 5));
    const result = await page.evaluate(
      async ({ endpoint, token, size }) => {
        // The same xorshift as makeFile(size, 5), so no megabyte crosses the protocol.
        const buf = new Uint8Array(Math.ceil(size / 4) * 4);
        const view = new DataView(buf.buffer);
        let x = 5;
        for (let i = 0; i < buf.length; i += 4) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          view.setUint32(i, x >>> 0, true);
        }
        const file = new File([buf.subarray(0, size)], 'interop.bin', { type: 'application/octet-stream' });
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
        const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
        const tus = (
          window as unknown as {
            tus: { Upload: new (file: File, options: object) => { start(): void; url: string | null } };
          }
        ).tus;
        return new Promise<{ url: string | null; hex: string; progress: number }>((resolve, reject) => {
          let progress = 0;
          const upload = new tus.Upload(file, {
            endpoint,
            chunkSize: 256 * 1024,
            retryDelays: [0, 200, 500],
            headers: { Authorization: `Bearer ${token}` },
            metadata: { filename: file.name, filetype: file.type, sha256: hex },
            onProgress: (sent: number) => {
              progress = sent;
            },
            onError: (error: Error) => reject(error.message),
            onSuccess: () => resolve({ url: upload.url, hex, progress }),
          });
          upload.start();
        });
      },
      { endpoint: `${server.url}/files/`, token: enrolment.token, size },
    );

    expect(result.hex).toBe(expected);
    expect(result.progress).toBe(size);
    const id = result.url?.split('/').pop();
    const record = (await server.uploads()).find((r) => r.id === id);
    expect(record).toMatchObject({ name: 'interop.bin', size, sha256: expected });
    expect(await server.metric('tender_http_requests_total{method="PATCH",status="500"}')).toBe(1);
  } finally {
    await browser.close();
  }
});
