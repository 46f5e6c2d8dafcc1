import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/shared/engine.ts';
import {
  FetchHttpStack,
  type FetchHttpStackOptions,
  type FetchInit,
  type FetchLike,
} from '../../src/shared/FetchHttpStack.ts';
import type { LinkTraffic, StallLimits } from '../../src/shared/stallJudge.ts';
import { timerClock } from '../../src/shared/timerClock.ts';
import { UploadError } from '../../src/shared/UploadError.ts';
import { VirtualClock } from './fakes.ts';

/** A fetch that never answers until aborted, like a dead satellite link. */
const hangingFetch: FetchLike = (_url, init) =>
  new Promise((_resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(init.signal.reason));
  });

/** A stack on this process's AbortController and timers, unless the test gives a clock. */
const stackWith = (options: Omit<FetchHttpStackOptions, 'AbortController' | 'clock'> & { clock?: Clock }) =>
  new FetchHttpStack({ AbortController, clock: timerClock({ setTimeout, clearTimeout }), ...options });

/** Limits in milliseconds for fast tests; each test names the ones it relies on. */
const limits =
  (over: Partial<StallLimits> = {}): (() => StallLimits) =>
  () => ({
    readEveryMs: 30,
    readTimeoutMs: 100,
    silentMs: 200,
    blindMs: 400,
    answerMs: 50,
    settleMs: 300,
    ...over,
  });

/** Records what the stack reports about the link. */
function recorder() {
  const log = { answers: [] as (number | undefined)[], transfers: [] as number[], failures: 0, spent: 0 };
  const link: LinkTraffic = {
    answered: (rtt) => log.answers.push(rtt),
    transferred: (bytes) => log.transfers.push(bytes),
    failed: () => {
      log.failures++;
    },
    spent: (bytes) => {
      log.spent += bytes;
    },
  };
  return { log, link };
}

describe('FetchHttpStack', () => {
  it('turns a silent connection into a stall error', async () => {
    const stack = stackWith({ limits: limits({ answerMs: 50 }), fetch: hangingFetch });
    const error = await stack
      .createRequest('HEAD', 'http://x/files/1')
      .send(null)
      .catch((e) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error.code).toBe('stalled');
  });

  it('keeps time by the clock it is given: an hour of silence on a virtual clock passes at once', async () => {
    const clock = new VirtualClock();
    const startedAt = clock.now();
    const error = await stackWith({ limits: limits({ answerMs: 3_600_000 }), fetch: hangingFetch, clock })
      .createRequest('HEAD', 'http://x/files/1')
      .send(null)
      .catch((e) => e);
    expect(error.code).toBe('stalled');
    expect(error.message).toBe('No answer from the server for 3600 s');
    expect(clock.now() - startedAt).toBe(3_600_000);
  });

  it('waits its deadlines out on a clock woken early (the worker wakes its clock on news from a page)', async () => {
    const clock = timerClock({ setTimeout, clearTimeout });
    const waking = setInterval(() => clock.wake(), 10);
    const started = Date.now();
    const error = await stackWith({ limits: limits({ answerMs: 200 }), fetch: hangingFetch, clock })
      .createRequest('HEAD', 'http://x/files/1')
      .send(null)
      .catch((e) => e);
    clearInterval(waking);
    expect(error.code).toBe('stalled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('gives a large body more time than a small one', async () => {
    // Without a progress URL a PATCH gets 1 s per 16 KiB of body on top of the answer limit.
    const stack = stackWith({ limits: limits({ answerMs: 20 }), fetch: hangingFetch });
    const started = Date.now();
    await stack
      .createRequest('PATCH', 'http://x/files/1')
      .send(new Blob([new Uint8Array(3 * 1024)]))
      .catch(() => {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it('passes method, headers and body and exposes the answer', async () => {
    let seen: FetchInit | undefined;
    const fakeFetch: FetchLike = async (_url, init) => {
      seen = init;
      return new Response(null, { status: 204, headers: { 'Upload-Offset': '5' } });
    };
    const req = stackWith({ limits: limits({ answerMs: 1000 }), fetch: fakeFetch }).createRequest(
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

  it('reports a user abort as a plain abort, not a stall', async () => {
    const { log, link } = recorder();
    const req = stackWith({
      limits: limits({ answerMs: 10_000 }),
      fetch: hangingFetch,
      link,
    }).createRequest('HEAD', 'http://x/files/1');
    const pending = req.send(null).catch((e) => e);
    await req.abort();
    const error = await pending;
    expect(error).not.toBeInstanceOf(UploadError);
    expect(log.failures).toBe(0);
  });

  it('reads the server progress during a PATCH, reports it, and calls a stall when it stops moving', async () => {
    const received = [1000, 3000, 3000];
    const fakeFetch: FetchLike = (url, init) => {
      if (String(url).includes('/api/progress/')) {
        const value = received.length > 1 ? received.shift() : received[0];
        return Promise.resolve(Response.json({ offset: 0, length: 10_000, received: value }));
      }
      return hangingFetch(url, init);
    };
    const { log, link } = recorder();
    const stack = stackWith({
      // A whole-body limit alone would wait an hour. Silence is judged over 600 ms, 20 reads, so a
      // loaded machine that runs a read late does not pass for a silent server.
      limits: limits({ answerMs: 3_600_000, silentMs: 600, blindMs: 1200 }),
      fetch: fakeFetch,
      progressUrl: (u) => u.replace('/files/', '/api/progress/'),
      link,
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
    expect(log.transfers).toEqual([500, 2000]);
    expect(log.failures).toBe(1);
    expect(log.answers.length).toBeGreaterThanOrEqual(3);
    expect(log.spent).toBeGreaterThan(10_000);
  });

  it('lets a slow PATCH run while the server count keeps moving', async () => {
    let received = 0;
    let reads = 0;
    const fakeFetch: FetchLike = (url, init) => {
      if (String(url).includes('/api/progress/')) {
        received += 3000; // slow, but moving
        reads++;
        return Promise.resolve(Response.json({ received }));
      }
      // Answers once the server has counted 30 reads' worth: ~30 × 30 ms, far past silentMs.
      return new Promise((resolve, reject) => {
        const timer = setInterval(() => {
          if (reads >= 30) {
            clearInterval(timer);
            resolve(new Response(null, { status: 204, headers: { 'Upload-Offset': '100000' } }));
          }
        }, 5);
        init.signal.addEventListener('abort', () => {
          clearInterval(timer);
          reject(init.signal.reason);
        });
      });
    };
    const req = stackWith({
      limits: limits({ silentMs: 100, blindMs: 200 }),
      fetch: fakeFetch,
      progressUrl: (u) => u.replace('/files/', '/api/progress/'),
    }).createRequest('PATCH', 'http://x/files/abc');
    req.setHeader('Upload-Offset', '0');
    const res = await req.send(new Blob([new Uint8Array(100_000)]));
    expect(res.getStatus()).toBe(204);
  });

  it('gives a PATCH up when neither it nor the progress reads are answered', async () => {
    const { log, link } = recorder();
    const req = stackWith({
      limits: limits({ blindMs: 150, readTimeoutMs: 40 }),
      fetch: hangingFetch,
      progressUrl: (u) => u.replace('/files/', '/api/progress/'),
      link,
    }).createRequest('PATCH', 'http://x/files/abc');
    req.setHeader('Upload-Offset', '0');
    const started = Date.now();
    const error = await req.send(new Blob([new Uint8Array(100)])).catch((e) => e);
    expect(error.code).toBe('stalled');
    expect(error.message).toContain('No sign of the server');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(log.failures).toBe(1);
  });

  it('times a small request as a round trip', async () => {
    const { log, link } = recorder();
    const fakeFetch: FetchLike = async () => new Response(null, { status: 200 });
    await stackWith({ limits: limits(), fetch: fakeFetch, link })
      .createRequest('HEAD', 'http://x/files/1')
      .send(null);
    expect(log.answers).toHaveLength(1);
    expect(log.answers[0]).toBeGreaterThanOrEqual(0);
  });
});
