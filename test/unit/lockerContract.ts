import { ERRORS, type Locker } from '@tus/server';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../support/pollUntil.ts';

/**
 * Lockers to test: one per server, all over the same locks (a single one for a locker that lives
 * in one process). `acquireTimeoutMs` is how long lock() may wait.
 */
export type MakeLockers = (opts: { acquireTimeoutMs: number }) => Promise<Locker[]>;

/** A signal that never aborts, one per request as @tus/server gives each its own. */
const never = () => new AbortController().signal;

/** A lock() in flight, with whether it has settled and when. */
function locking(locker: Locker, id: string, onRelease = () => {}, signal = never()) {
  const lock = locker.newLock(id);
  const state = { settled: false, at: 0, released: 0 };
  const done = lock
    .lock(signal, () => {
      state.released++;
      onRelease();
    })
    .finally(() => {
      state.settled = true;
      state.at = performance.now();
    });
  done.catch(() => {}); // awaited by the test
  return { lock, state, done };
}

/** What every upload locker keeps, as @tus/server's MemoryLocker does in one process. */
export function lockerContract(name: string, make: MakeLockers) {
  describe(`${name}: the contract every upload locker keeps`, () => {
    it('has one holder per upload at a time; the next waiter gets it as soon as it is released', async () => {
      const lockers = await make({ acquireTimeoutMs: 10_000 });
      const [here, there] = [lockers[0], lockers.at(-1)] as [Locker, Locker];
      const first = locking(here, 'upload-1');
      await first.done;
      const other = locking(there, 'upload-2'); // another upload is not held up
      await other.done;
      const second = locking(there, 'upload-1');
      // The holder hears that someone wants it; the waiter still waits.
      await pollUntil(
        'a release request',
        () => first.state.released,
        (n) => n > 0,
      );
      expect(second.state.settled).toBe(false);
      const unlockedAt = performance.now();
      await first.lock.unlock();
      await second.done;
      expect(second.state.at - unlockedAt).toBeLessThan(150);
      await second.lock.unlock();
      await other.lock.unlock();
      // Free again for anyone.
      const third = locking(here, 'upload-1');
      await third.done;
      await third.lock.unlock();
    });

    it('a holder that releases when asked hands the lock over at once', async () => {
      const lockers = await make({ acquireTimeoutMs: 10_000 });
      const [here, there] = [lockers[0], lockers.at(-1)] as [Locker, Locker];
      const stale = locking(here, 'upload-3', () => void stale.lock.unlock());
      await stale.done;
      const askedAt = performance.now();
      const resuming = locking(there, 'upload-3');
      await resuming.done;
      expect(stale.state.released).toBeGreaterThan(0);
      expect(resuming.state.at - askedAt).toBeLessThan(300);
      await resuming.lock.unlock();
    });

    it('a waiter gives up with the lock timeout error when the holder keeps the lock', async () => {
      const lockers = await make({ acquireTimeoutMs: 300 });
      const [here, there] = [lockers[0], lockers.at(-1)] as [Locker, Locker];
      const holder = locking(here, 'upload-4');
      await holder.done;
      const startedAt = performance.now();
      const waiter = locking(there, 'upload-4');
      await expect(waiter.done).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
      expect(waiter.state.at - startedAt).toBeGreaterThanOrEqual(290);
      expect(waiter.state.at - startedAt).toBeLessThan(900);
      await holder.lock.unlock();
    });

    it('a waiter whose request ends stops waiting', async () => {
      const lockers = await make({ acquireTimeoutMs: 10_000 });
      const [here, there] = [lockers[0], lockers.at(-1)] as [Locker, Locker];
      const holder = locking(here, 'upload-5');
      await holder.done;
      const request = new AbortController();
      const waiter = locking(there, 'upload-5', () => {}, request.signal);
      await pollUntil(
        'a release request',
        () => holder.state.released,
        (n) => n > 0,
      );
      const abortedAt = performance.now();
      request.abort();
      await expect(waiter.done).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
      expect(waiter.state.at - abortedAt).toBeLessThan(300);
      await holder.lock.unlock();
    });

    it('many requests on every server each get the lock once, never two at a time', async () => {
      const lockers = await make({ acquireTimeoutMs: 20_000 });
      let inside = 0;
      let most = 0;
      let offset = 0;
      const write = async (locker: Locker) => {
        const lock = locker.newLock('upload-6');
        await lock.lock(never(), () => {});
        try {
          inside++;
          most = Math.max(most, inside);
          // A read-modify-write across awaits, as a PATCH appends at the acknowledged offset.
          const read = offset;
          await new Promise((resolve) => setImmediate(resolve));
          offset = read + 1;
          inside--;
        } finally {
          await lock.unlock();
        }
      };
      await Promise.all(Array.from({ length: 40 }, (_, i) => write(lockers[i % lockers.length] as Locker)));
      expect(offset).toBe(40);
      expect(most).toBe(1);
    });
  });
}
