import type { Clock } from './engine.ts';
import { Stopper } from './Stopper.ts';
import type { SignalLike } from './types.ts';

/** The environment's timer functions: the worker's and Node's globals fit. */
export interface Timers<H> {
  setTimeout(run: () => void, ms: number): H;
  clearTimeout(handle: H): void;
}

/** A clock whose sleeps can all be ended early at once. */
export interface WakeableClock extends Clock {
  /** Ends every sleep in progress now, e.g. when a page changed the queue a run is waiting on. */
  wake(): void;
}

/** A Clock on the environment's timers and `Date.now`. */
export function timerClock<H>(timers: Timers<H>): WakeableClock {
  // Called unbound: a worker's timer functions refuse any other `this` ("Illegal invocation").
  const { setTimeout: start, clearTimeout: clear } = timers;
  const sleepers = new Set<() => void>();
  return {
    now: () => Date.now(),
    sleep: (ms: number, signal?: SignalLike) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clear(timer);
          signal?.removeEventListener('abort', done);
          sleepers.delete(done);
          resolve();
        };
        const timer = start(done, Math.max(0, ms));
        signal?.addEventListener('abort', done);
        sleepers.add(done);
      }),
    wake() {
      for (const done of [...sleepers]) done();
    },
  };
}

/**
 * Sleeps on `clock` until `at`, sleeping again after a sleep that ended early (a woken clock, a
 * timer that fired early); ends early only when `signal` aborts.
 */
export async function sleepUntil(clock: Clock, at: number, signal?: SignalLike): Promise<void> {
  while (!signal?.aborted && clock.now() < at) await clock.sleep(at - clock.now(), signal);
}

/** Runs `then` after `ms` on `clock` unless the returned cancel is called first. */
export function after(clock: Clock, ms: number, then: () => void): () => void {
  const cancel = new Stopper();
  void sleepUntil(clock, clock.now() + ms, cancel).then(() => {
    if (!cancel.aborted) then();
  });
  return () => cancel.abort();
}

/** Runs `tick` every `ms` on `clock` (measured from the end of the last tick) until cancelled. */
export function every(clock: Clock, ms: number, tick: () => void): () => void {
  const cancel = new Stopper();
  void (async () => {
    for (;;) {
      await sleepUntil(clock, clock.now() + ms, cancel);
      if (cancel.aborted) return;
      tick();
    }
  })();
  return () => cancel.abort();
}
