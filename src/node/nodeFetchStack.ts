import type { Clock } from '../shared/engine.ts';
import { FetchHttpStack, type FetchHttpStackOptions } from '../shared/FetchHttpStack.ts';
import { timerClock, type WakeableClock } from '../shared/timerClock.ts';

/** A clock on Node's timers and Date.now. */
export function nodeClock(): WakeableClock {
  return timerClock({ setTimeout, clearTimeout });
}

/** Options of `nodeFetchStack`: the shared stack's, with Node's fetch and a clock of its own by default. */
export type NodeFetchStackOptions = Omit<FetchHttpStackOptions, 'fetch' | 'AbortController' | 'clock'> & {
  clock?: Clock;
};

/** tus-js-client's HTTP stack for Node: the shared fetch stack on Node's own fetch (20+). */
export function nodeFetchStack(options: NodeFetchStackOptions): FetchHttpStack {
  return new FetchHttpStack({
    // The signal is one of Node's AbortControllers' (below), and a queued file's bytes are a Blob
    // (fs.openAsBlob), which fetch reads from disk as it sends.
    fetch: (url, { signal, body, ...init }) =>
      fetch(url, { ...init, signal: signal as AbortSignal, body: body as Blob | null | undefined }),
    AbortController,
    ...options,
    // After the spread: an explicit `clock: undefined` gets Node's clock too.
    clock: options.clock ?? nodeClock(),
  });
}
