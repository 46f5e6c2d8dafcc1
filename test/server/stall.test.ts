import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

type Progress = { offset: number; length: number; received: number; idleMs?: number };

async function progress(id: string): Promise<Progress> {
  return (await (await fetch(`${s.url}/api/progress/${id}`, { headers: device.headers })).json()) as Progress;
}

describe('a PATCH left hanging by a silent client', () => {
  it('shows its bytes in /api/progress as they land, and does not hold up the resuming HEAD', async () => {
    const data = bytes(400_000, 31);
    const url = await s.create(device, data.length, {
      filename: 'stall.mp4',
      filetype: 'video/mp4',
      sha256: sha256(data),
    });
    const id = url.split('/').pop() ?? '';

    // Declares the whole file, sends 150 kB, then goes silent with the connection open.
    const hung = hangingPatch(device, url, 0, data.length, data.subarray(0, 150_000));
    await hung.written;
    const seen = await until(
      () => progress(id),
      (p) => p.received === 150_000,
    );
    // Received but not yet acknowledged: the offset a resume may use is still 0.
    expect(seen).toMatchObject({ offset: 0, length: data.length, received: 150_000 });
    // And how long the server has waited for the next byte: it grows while the client is silent.
    const later = await until(
      () => progress(id),
      (p) => (p.idleMs ?? 0) >= 300,
    );
    expect(later.idleMs).toBeGreaterThan(seen.idleMs ?? Number.NaN);

    const started = performance.now();
    const head = await s.head(device, url);
    const elapsed = performance.now() - started;
    expect(head.status).toBe(200);
    // The hung PATCH was cut and what it delivered acknowledged, within a round trip, not a drain timeout.
    expect(elapsed).toBeLessThan(1000);
    expect(head.headers.get('upload-offset')).toBe('150000');
    await hung.closed;
    expect(await progress(id)).toEqual({ offset: 150_000, length: data.length, received: 150_000 });

    const rest = await s.patch(device, url, 150_000, data.subarray(150_000));
    expect(rest.status).toBe(204);
    expect((await listRecords(s.url)).find((r) => r.id === id)?.sha256).toBe(sha256(data));
    expect(await progress(id)).toEqual({ offset: data.length, length: data.length, received: data.length });
  });

  it('is cut at once by a new PATCH on the same upload, which is counted', async () => {
    const before = await s.metric('tender_concurrent_patch_total');
    const data = bytes(200_000, 32);
    const url = await s.create(device, data.length);
    const hung = hangingPatch(device, url, 0, data.length, data.subarray(0, 50_000));
    await hung.written;
    await until(
      () => progress(url.split('/').pop() ?? ''),
      (p) => p.received === 50_000,
    );
    const started = performance.now();
    // The client retries from its last known offset (0): a 409 tells it where the server is.
    const retry = await s.patch(device, url, 0, data);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(retry.status).toBe(409);
    const offset = Number((await s.head(device, url)).headers.get('upload-offset'));
    expect(offset).toBe(50_000);
    expect((await s.patch(device, url, offset, data.subarray(offset))).status).toBe(204);
    expect(await s.metric('tender_concurrent_patch_total')).toBe(before + 1);
    await hung.closed;
  });

  it('answers a PATCH at a stale offset with 409 and closes, instead of reading a body nobody wants', async () => {
    const data = bytes(300_000, 33);
    const url = await s.create(device, data.length);
    expect((await s.patch(device, url, 0, data.subarray(0, 100_000))).status).toBe(204);
    // As a browser resends a chunk by itself after a reset: the old offset, the whole body declared.
    const stale = hangingPatch(device, url, 0, data.length, data.subarray(0, 10_000));
    const status = await new Promise<number>((resolve) =>
      stale.req.on('response', (r) => resolve(r.statusCode ?? 0)),
    );
    expect(status).toBe(409);
    await stale.closed; // closed by the server while the client still owed 290 kB of body
    expect((await s.head(device, url)).headers.get('upload-offset')).toBe('100000');
  });
});
