import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBlockChecksums } from '../../server/blockChecksums.ts';
import { UploadError } from '../../src/shared/UploadError.ts';
import { FetchHttpStack } from '../../src/sw/FetchHttpStack.ts';

/** A fetch that never answers until aborted, like a dead satellite link. */
const hangingFetch: typeof fetch = (_url, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

describe('FetchHttpStack', () => {
  it('turns a silent connection into a stall error', async () => {
    const stack = new FetchHttpStack({ stallMs: 50, minBytesPerSec: 1e9, fetch: hangingFetch });
    const error = await stack
      .createRequest('HEAD', 'http://x/files/1')
      .send(null)
      .catch((e) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error.code).toBe('stalled');
  });

  it('gives a large body more time than a small one', async () => {
    const stack = new FetchHttpStack({ stallMs: 20, minBytesPerSec: 1000, fetch: hangingFetch });
    const started = Date.now();
    await stack
      .createRequest('PATCH', 'http://x/files/1')
      .send(new Blob([new Uint8Array(200)]))
      .catch(() => {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('passes method, headers and body and exposes the answer', async () => {
    let seen: RequestInit | undefined;
    const fakeFetch: typeof fetch = async (_url, init) => {
      seen = init;
      return new Response(null, { status: 204, headers: { 'Upload-Offset': '5' } });
    };
    const req = new FetchHttpStack({ stallMs: 1000, minBytesPerSec: 1000, fetch: fakeFetch }).createRequest(
      'PATCH',
      'http://x/files/1',
    );
    req.setHeader('Upload-Offset', '0');
    const res = await req.send(new Blob(['hello']));
    expect(seen?.method).toBe('PATCH');
    expect((seen?.headers as Record<string, string> | undefined)?.['Upload-Offset']).toBe('0');
    expect(res.getStatus()).toBe(204);
    expect(res.getHeader('Upload-Offset')).toBe('5');
  });

  it('sends a PATCH body with the digests of its blocks, and the body itself unchanged', async () => {
    const seen: RequestInit[] = [];
    const fakeFetch: typeof fetch = async (_url, init) => {
      seen.push(init ?? {});
      return new Response(null, { status: 204 });
    };
    const stack = new FetchHttpStack({
      stallMs: 1000,
      minBytesPerSec: 1000,
      checksum: true,
      fetch: fakeFetch,
    });
    const bytes = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);
    const body = new Blob([bytes]);
    const patch = stack.createRequest('PATCH', 'http://x/files/1');
    patch.setHeader('Upload-Offset', '0');
    await patch.send(body);
    await stack.createRequest('HEAD', 'http://x/files/1').send(null);

    const headers = seen.map((init) => init.headers as Record<string, string>);
    expect(seen[0]?.body).toBe(body);
    expect(headers[0]?.['Upload-Checksum']).toBeUndefined();
    const parsed = parseBlockChecksums(headers[0]?.['Upload-Block-Checksums'] ?? '', String(bytes.length));
    if (parsed instanceof Error) throw parsed;
    // 64 KiB blocks, the last one short.
    const blocks = [0, 1, 2, 3, 4].map((i) => bytes.subarray(i * 65536, (i + 1) * 65536));
    expect(parsed.digests).toEqual(blocks.map((b) => createHash('sha256').update(b).digest()));
    expect(headers[1]?.['Upload-Block-Checksums']).toBeUndefined();
  });

  it('reports a user abort as a plain abort, not a stall', async () => {
    const req = new FetchHttpStack({
      stallMs: 10_000,
      minBytesPerSec: 1000,
      fetch: hangingFetch,
    }).createRequest('HEAD', 'http://x/files/1');
    const pending = req.send(null).catch((e) => e);
    await req.abort();
    const error = await pending;
    expect(error).not.toBeInstanceOf(UploadError);
  });

  it('reads the server progress during a PATCH, reports it, and calls a stall when it stops moving', async () => {
    const received = [1000, 3000, 3000];
    const fakeFetch: typeof fetch = (url, init) => {
      if (String(url).includes('/api/progress/')) {
        const value = received.length > 1 ? received.shift() : received[0];
        return Promise.resolve(Response.json({ offset: 0, length: 10_000, received: value }));
      }
      return hangingFetch(url, init);
    };
    const stack = new FetchHttpStack({
      stallMs: 200,
      minBytesPerSec: 1, // the whole-body limit alone would wait hours
      fetch: fakeFetch,
      progressUrl: (u) => u.replace('/files/', '/api/progress/'),
      progressIntervalMs: 30,
    });
    const req = stack.createRequest('PATCH', 'http://x/files/abc');
    req.setHeader('Upload-Offset', '500');
    const seen: number[] = [];
    req.setProgressHandler((n) => seen.push(n));
    const started = Date.now();
    const error = await req.send(new Blob([new Uint8Array(10_000)])).catch((e) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error.code).toBe('stalled');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(seen).toEqual([500, 2500]);
  });
});
