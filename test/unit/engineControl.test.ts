import { describe, expect, it } from 'vitest';
import { drainQueue, type InterruptRegistry, type Uploader } from '../../src/shared/engine.ts';
import { pause } from '../../src/shared/transitions.ts';
import {
  type BlobLike,
  bytesWasted,
  newQueueItem,
  type QueueItem,
  waitedMs,
} from '../../src/shared/types.ts';
import { UploadError } from '../../src/shared/UploadError.ts';
import { MemoryQueueStore, VirtualClock } from './fakes.ts';

const CHUNK = 100;
const item = (id: string, size: number, priority = 5, createdAt = 0): QueueItem =>
  newQueueItem({ id, blob: new Blob([new Uint8Array(size)]), name: id, priority }, createdAt);

/**
 * An uploader that sends in chunks of CHUNK bytes, one virtual second each, resuming from
 * bytesConfirmed, honouring shouldYield at chunk boundaries and the abort signal at any time.
 */
function chunked(
  clock: VirtualClock,
  hooks: { afterChunk?: (id: string, offset: number) => Promise<void> } = {},
) {
  const log: string[] = [];
  const uploader: Uploader<BlobLike> = {
    async upload(queued, _file, ctx) {
      let offset = queued.bytesConfirmed;
      while (offset < queued.size) {
        if (ctx.signal.aborted) throw new UploadError('aborted', 'stopped');
        const n = Math.min(CHUNK, queued.size - offset);
        clock.time += 1000;
        ctx.onSent(n);
        offset += n;
        log.push(`${queued.id}@${offset}`);
        await ctx.onOffset(offset);
        await hooks.afterChunk?.(queued.id, offset);
        if (ctx.signal.aborted) throw new UploadError('aborted', 'stopped');
        if (offset < queued.size && ctx.shouldYield()) throw new UploadError('yielded', 'yield');
      }
    },
  };
  return { uploader, log };
}

class Interrupts implements InterruptRegistry {
  readonly stops = new Map<string, () => void>();
  watch(id: string, stop: () => void) {
    this.stops.set(id, stop);
    return () => this.stops.delete(id);
  }
}

describe('critical files jump the queue', () => {
  it('a priority-9 file added during a large upload goes next, at a chunk boundary', async () => {
    const clock = new VirtualClock();
    const store = new MemoryQueueStore([item('video', 1000, 3)]);
    const { uploader, log } = chunked(clock, {
      afterChunk: async (id, offset) => {
        if (id === 'video' && offset === 200) store.seed(item('cert', 150, 9, clock.now()));
      },
    });
    const out = await drainQueue({ store, uploader, clock });
    expect(out.uploaded).toBe(2);
    // The cert was queued after chunk 2; one more chunk of video went before it was noticed.
    expect(log.slice(0, 5)).toEqual(['video@100', 'video@200', 'video@300', 'cert@100', 'cert@150']);
    expect(store.items.get('video')).toMatchObject({ status: 'uploaded', bytesSent: 1000 });
  });

  it('a priority-9 file does not interrupt another critical file of equal priority', async () => {
    const clock = new VirtualClock();
    const store = new MemoryQueueStore([item('a', 300, 9)]);
    const { uploader, log } = chunked(clock, {
      afterChunk: async (id, offset) => {
        if (id === 'a' && offset === 100) store.seed(item('b', 100, 9, clock.now()));
      },
    });
    await drainQueue({ store, uploader, clock });
    expect(log).toEqual(['a@100', 'a@200', 'a@300', 'b@100']);
  });
});

describe('user controls during a run', () => {
  it('pausing the running file stops it at once and the run goes on with the next', async () => {
    const clock = new VirtualClock();
    const interrupts = new Interrupts();
    const store = new MemoryQueueStore([item('big', 500, 5, 0), item('small', 100, 5, 1)]);
    const { uploader } = chunked(clock, {
      afterChunk: async (id, offset) => {
        if (id === 'big' && offset === 200) {
          await store.update('big', pause(clock.now()));
          interrupts.stops.get('big')?.();
        }
      },
    });
    const out = await drainQueue({ store, uploader, clock, interrupts });
    expect(out).toMatchObject({ stoppedBecause: 'empty', uploaded: 1 });
    expect(store.items.get('big')).toMatchObject({ status: 'paused', bytesConfirmed: 200, attempts: 0 });
    expect(store.items.get('small')?.status).toBe('uploaded');
  });

  it('a pause whose word never reaches the run still stops the file at the next chunk', async () => {
    const clock = new VirtualClock();
    const store = new MemoryQueueStore([item('big', 500, 5, 0)]);
    const { uploader, log } = chunked(clock, {
      afterChunk: async (id, offset) => {
        if (id === 'big' && offset === 100) await store.update('big', pause(clock.now()));
      },
    });
    await drainQueue({ store, uploader, clock });
    // The chunk confirmed after the pause was written is the last one sent.
    expect(log).toEqual(['big@100', 'big@200']);
    expect(store.items.get('big')).toMatchObject({ status: 'paused', bytesConfirmed: 200, bytesSent: 200 });
  });

  it('a pause that lands between choosing a file and starting it stands', async () => {
    const clock = new VirtualClock();
    /** Pauses the file right after the run has read the queue, before it marks the file Uploading. */
    class PausedMeanwhile extends MemoryQueueStore {
      #once = true;
      override async all() {
        const items = await super.all();
        if (this.#once) {
          this.#once = false;
          await this.update('a', pause(clock.now()));
        }
        return items;
      }
    }
    const store = new PausedMeanwhile([item('a', 300)]);
    const { uploader, log } = chunked(clock);
    const out = await drainQueue({ store, uploader, clock });
    expect(log).toEqual([]);
    expect(out).toMatchObject({ stoppedBecause: 'empty', uploaded: 0 });
    expect(store.items.get('a')).toMatchObject({ status: 'paused', tries: 0 });
  });

  it('removing the running file stops it and forgets it', async () => {
    const clock = new VirtualClock();
    const interrupts = new Interrupts();
    const store = new MemoryQueueStore([item('gone', 500)]);
    const { uploader } = chunked(clock, {
      afterChunk: async (id, offset) => {
        if (id === 'gone' && offset === 100) {
          store.items.delete('gone');
          interrupts.stops.get('gone')?.();
        }
      },
    });
    const out = await drainQueue({ store, uploader, clock, interrupts });
    expect(out).toMatchObject({ stoppedBecause: 'empty', remaining: 0 });
    expect(store.items.size).toBe(0);
  });
});

describe('counters', () => {
  it('counts tries, bytes sent and wasted, and time waiting', async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const store = new MemoryQueueStore([item('f', 300, 5, t0)]);
    let calls = 0;
    const uploader: Uploader<BlobLike> = {
      async upload(queued, _file, ctx) {
        calls++;
        if (calls === 1) {
          // One chunk kept, then a chunk sent in full but lost with the link.
          ctx.onSent(100);
          await ctx.onOffset(100);
          ctx.onSent(100);
          throw new UploadError('offline', 'link down');
        }
        ctx.onSent(queued.size - queued.bytesConfirmed);
        await ctx.onOffset(queued.size);
      },
    };
    clock.time += 5000; // waited 5 s before the first run
    await drainQueue({ store, uploader, clock });
    clock.time += 60_000; // a minute offline
    await drainQueue({ store, uploader, clock });
    const f = store.items.get('f') as QueueItem;
    expect(f).toMatchObject({
      status: 'uploaded',
      tries: 2,
      attempts: 0,
      bytesSent: 400,
      bytesConfirmed: 300,
    });
    expect(bytesWasted(f)).toBe(100);
    expect(waitedMs(f, clock.now())).toBe(65_000);
  });
});
