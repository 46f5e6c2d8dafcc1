import { describe, expect, it } from 'vitest';
import { drainQueue, pickNext, type Uploader } from '../../src/shared/engine.ts';
import { type BlobLike, newQueueItem, type QueueItem } from '../../src/shared/types.ts';
import { UploadError } from '../../src/shared/UploadError.ts';
import { MemoryQueueStore, VirtualClock } from './fakes.ts';

const blob = (size: number) => new Blob([new Uint8Array(size)]);
const item = (id: string, priority = 5, createdAt = 0): QueueItem =>
  newQueueItem({ id, blob: blob(100), name: `${id}.pdf`, priority }, createdAt);

/** An uploader whose outcomes per item are scripted: each call takes the next outcome. */
function scripted(outcomes: Record<string, (UploadError | 'ok')[]>, clock?: VirtualClock, msPerUpload = 0) {
  const calls: string[] = [];
  const uploader: Uploader<BlobLike> = {
    async upload(queued, _file, ctx) {
      calls.push(queued.id);
      if (clock) clock.time += msPerUpload;
      const next = outcomes[queued.id]?.shift() ?? 'ok';
      if (next !== 'ok') throw next;
      await ctx.onOffset(queued.size);
    },
  };
  return { uploader, calls };
}

describe('order', () => {
  it('runs priority 10 first, then oldest first', () => {
    const items = [item('a', 2, 1), item('b', 9, 3), item('c', 5, 2), item('d', 9, 2)];
    const order: string[] = [];
    let rest = items;
    for (;;) {
      const next = pickNext(rest, 0);
      if (!next) break;
      order.push(next.id);
      rest = rest.filter((i) => i !== next);
    }
    expect(order).toEqual(['d', 'b', 'c', 'a']);
  });

  it('skips items that are backing off, failed, paused or uploaded', () => {
    const items = [
      { ...item('a'), notBefore: 1000 },
      { ...item('b'), status: 'failed' as const },
      { ...item('c'), status: 'paused' as const },
      { ...item('d'), status: 'uploaded' as const },
      { ...item('e', 1), status: 'uploading' as const },
    ];
    expect(pickNext(items, 0)?.id).toBe('e');
    expect(pickNext(items.slice(0, 4), 1000)?.id).toBe('a');
  });
});

describe('drainQueue', () => {
  it('uploads everything in order and marks it uploaded', async () => {
    const store = new MemoryQueueStore([item('a', 2, 1), item('b', 9, 2), item('c', 5, 3)]);
    const { uploader, calls } = scripted({});
    const out = await drainQueue({ store, uploader, clock: new VirtualClock() });
    expect(out).toMatchObject({ stoppedBecause: 'empty', uploaded: 3, remaining: 0 });
    expect(calls).toEqual(['b', 'c', 'a']);
    expect([...store.items.values()].every((i) => i.status === 'uploaded' && i.bytesConfirmed === 100)).toBe(
      true,
    );
  });

  it('retries two 500s with backoff, then succeeds', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const store = new MemoryQueueStore([item('a')]);
    const e500 = () => new UploadError('server-error', 'Server answered 500', { status: 500 });
    const { uploader, calls } = scripted({ a: [e500(), e500(), 'ok'] });
    const out = await drainQueue({ store, uploader, clock, random: () => 1 });
    expect(out.stoppedBecause).toBe('empty');
    expect(calls).toEqual(['a', 'a', 'a']);
    // Attempts count failures since the last progress; the last attempt's chunk cleared them.
    expect(store.items.get('a')).toMatchObject({ status: 'uploaded', attempts: 0, tries: 3 });
    // 5 s then 10 s of backoff at full jitter.
    expect(clock.now() - start).toBe(15_000);
  });

  it('backs off from the start again once a chunk got through', async () => {
    const clock = new VirtualClock();
    const store = new MemoryQueueStore([item('a')]);
    const e500 = () => new UploadError('server-error', 'Server answered 500', { status: 500 });
    const startedAt: number[] = [];
    let call = 0;
    const uploader: Uploader<BlobLike> = {
      async upload(_queued, _file, ctx) {
        call++;
        startedAt.push(clock.now());
        if (call === 4) await ctx.onOffset(50); // progress, then the server fails again
        if (call < 6) throw e500();
        await ctx.onOffset(100);
      },
    };
    const out = await drainQueue({ store, uploader, clock, random: () => 1, budgetMs: 3_600_000 });
    expect(out.stoppedBecause).toBe('empty');
    const gaps = startedAt.slice(1).map((t, i) => t - (startedAt[i] as number));
    // 5, 10, 20 s; progress in the 4th attempt; then 5 and 10 s again, not 40 and 80 s.
    expect(gaps).toEqual([5_000, 10_000, 20_000, 5_000, 10_000]);
  });

  it('fails a 413 at once with a reason and does not retry', async () => {
    const store = new MemoryQueueStore([item('a'), item('b', 1)]);
    const { uploader, calls } = scripted({
      a: [new UploadError('too-large', 'Server answered 413', { status: 413 })],
    });
    await drainQueue({ store, uploader, clock: new VirtualClock() });
    expect(calls).toEqual(['a', 'b']);
    expect(store.items.get('a')).toMatchObject({ status: 'failed' });
    expect(store.items.get('a')?.lastError).toMatch(/too large/);
    expect(store.items.get('b')?.status).toBe('uploaded');
  });

  it('stops the whole run on 401 without failing any file', async () => {
    const store = new MemoryQueueStore([item('a'), item('b', 1)]);
    const { uploader, calls } = scripted({
      a: [new UploadError('auth', 'Server answered 401', { status: 401 })],
    });
    const out = await drainQueue({ store, uploader, clock: new VirtualClock() });
    expect(out.stoppedBecause).toBe('signed-out');
    expect(calls).toEqual(['a']);
    expect(store.items.get('a')).toMatchObject({ status: 'waiting', waitReason: 'signed-out' });
    expect(store.items.get('b')?.status).toBe('waiting');
  });

  it('waits for the link on a network error without using up attempts', async () => {
    const store = new MemoryQueueStore([item('a')]);
    const offline = () => new UploadError('offline', 'Cannot reach the server');
    const { uploader } = scripted({ a: [offline(), offline(), offline()] });
    const clock = new VirtualClock();
    for (let i = 0; i < 3; i++) {
      const out = await drainQueue({ store, uploader, clock });
      expect(out.stoppedBecause).toBe('offline');
      clock.time += 3_600_000; // an hour offline each time
    }
    expect(store.items.get('a')).toMatchObject({ status: 'waiting', waitReason: 'offline', attempts: 0 });
    const out = await drainQueue({ store, uploader, clock });
    expect(out).toMatchObject({ stoppedBecause: 'empty', uploaded: 1 });
  });

  it('ends within its budget and leaves the rest waiting', async () => {
    const clock = new VirtualClock();
    const store = new MemoryQueueStore(Array.from({ length: 10 }, (_, n) => item(`f${n}`, 5, n)));
    const { uploader } = scripted({}, clock, 30_000);
    const out = await drainQueue({ store, uploader, clock, budgetMs: 100_000 });
    expect(out).toMatchObject({ stoppedBecause: 'budget', uploaded: 4, remaining: 6 });
  });

  it('returns at once with backoff when the next retry is past the budget', async () => {
    const clock = new VirtualClock();
    const store = new MemoryQueueStore([{ ...item('a'), notBefore: clock.now() + 600_000 }]);
    const { uploader, calls } = scripted({});
    const out = await drainQueue({ store, uploader, clock, budgetMs: 60_000 });
    expect(out.stoppedBecause).toBe('backoff');
    expect(out.nextAttemptAt).toBe(clock.now() + 600_000);
    expect(calls).toEqual([]);
  });

  it('picks up an item a killed runner left uploading', async () => {
    const store = new MemoryQueueStore([{ ...item('a'), status: 'uploading', bytesConfirmed: 40 }]);
    const { uploader, calls } = scripted({});
    await drainQueue({ store, uploader, clock: new VirtualClock() });
    expect(calls).toEqual(['a']);
    expect(store.items.get('a')?.status).toBe('uploaded');
  });

  it('gives up on an unexplained error after maxAttempts and says so', async () => {
    const store = new MemoryQueueStore([item('a')]);
    const odd = () => new UploadError('unknown', 'Server answered 400', { status: 400 });
    const { uploader, calls } = scripted({ a: Array.from({ length: 10 }, odd) });
    await drainQueue({
      store,
      uploader,
      clock: new VirtualClock(),
      budgetMs: 10 * 3_600_000,
      policy: { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 3 },
    });
    expect(calls.length).toBe(3);
    expect(store.items.get('a')).toMatchObject({ status: 'failed', attempts: 3 });
    expect(store.items.get('a')?.lastError).toMatch(/gave up after 3 attempts/);
  });
});
