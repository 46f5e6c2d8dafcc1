import { ChunkSizer } from '../shared/chunkSizer.ts';
import { LinkEstimator, type LinkHints } from '../shared/linkEstimator.ts';
import type { SpendKind } from '../shared/spendLedger.ts';
import type { LinkTraffic, StallLimits } from '../shared/stallJudge.ts';
import { stallLimits } from '../shared/stallJudge.ts';
import type { SignalLike } from '../shared/types.ts';
import { announce } from './bridge.ts';
import { recordSpend } from './settings.ts';

declare const self: ServiceWorkerGlobalScope;

/** The Network Information API where the browser has it (Chromium; not Safari or Firefox). */
interface NetworkInformation extends EventTarget {
  effectiveType?: string;
  downlink?: number;
  rtt?: number;
  saveData?: boolean;
}

const connection = (navigator as WorkerNavigator & { connection?: NetworkInformation }).connection;

/** What the worker knows about the link, learned from its own traffic. */
export const link = new LinkEstimator({ now: () => Date.now() });

/** Chunk sizes for the worker's uploads, following the link. */
export const chunks = new ChunkSizer();

/** Stall limits for a request starting now. */
export const currentLimits = (): StallLimits => stallLimits(link.rttMs, link.rttVarMs);

/** Bytes counted but not yet written to the ledger, by kind. */
let unrecorded: Partial<Record<SpendKind, number>> = {};
let flushTimer: ReturnType<typeof setTimeout> | null = null;
/** How long counts gather before one ledger write: one IndexedDB write per request would be too many. */
const FLUSH_MS = 2_000;

/** Writes what was counted into the data ledger, one write per kind. */
export async function flushSpend(): Promise<void> {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  const batch = unrecorded;
  unrecorded = {};
  for (const [kind, bytes] of Object.entries(batch) as [SpendKind, number][]) {
    await recordSpend(bytes, kind).catch((err) =>
      console.error('[tender] data spent could not be saved', err),
    );
  }
}

function countSpend(bytes: number, kind: SpendKind): void {
  unrecorded[kind] = (unrecorded[kind] ?? 0) + bytes;
  flushTimer ??= setTimeout(() => void flushSpend(), FLUSH_MS);
}

let announceTimer: ReturnType<typeof setTimeout> | null = null;
/** Tells open pages what the link looks like, at most once a second. */
function announceLink(): void {
  if (announceTimer) return;
  announceTimer = setTimeout(() => {
    announceTimer = null;
    announce({ type: 'link', link: link.snapshot() });
  }, 1000);
}

/** Where the fetch stack reports traffic: the estimator, the ledger, and the pages. */
export const traffic: LinkTraffic = {
  answered: (rttMs) => {
    link.answered(rttMs);
    announceLink();
  },
  transferred: (bytes, ms) => {
    link.transferred(bytes, ms);
    announceLink();
  },
  failed: () => {
    link.failed();
    announceLink();
    wakeWaiters();
  },
  spent: countSpend,
};

/** The browser's hints, read now. */
function readHints(): LinkHints {
  return {
    online: navigator.onLine,
    effectiveType: connection?.effectiveType,
    downlinkMbps: connection?.downlink,
    rttMs: connection?.rtt,
    saveData: connection?.saveData,
  };
}

const waiters = new Set<() => void>();
function wakeWaiters(): void {
  for (const wake of waiters) wake();
  waiters.clear();
}

/** Resolves after `ms`, or at once when the browser reports a change of network, or on `signal`. */
function waitForChange(ms: number, signal?: SignalLike): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      waiters.delete(done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    waiters.add(done);
    signal?.addEventListener('abort', done);
  });
}

const onNetworkChange = () => {
  link.hint(readHints());
  announceLink();
  wakeWaiters();
};
connection?.addEventListener('change', onNetworkChange);
self.addEventListener('online', onNetworkChange);
self.addEventListener('offline', onNetworkChange);
link.hint(readHints());

/** Asks the server's tiny `GET /probe`; true when shore answered. Every byte is counted. */
export async function probe(signal?: SignalLike): Promise<boolean> {
  const started = Date.now();
  const timeout = AbortSignal.timeout(currentLimits().answerMs);
  const signals = signal ? [timeout, signal as AbortSignal] : [timeout];
  try {
    const res = await fetch(new URL('/probe', self.location.origin), {
      cache: 'no-store',
      signal: AbortSignal.any(signals),
    });
    const text = await res.text();
    traffic.spent?.(400 + 250 + text.length, 'probe');
    link.probed(true, Date.now() - started);
    return true;
  } catch {
    traffic.spent?.(400, 'probe');
    link.probed(false);
    return false;
  } finally {
    announceLink();
  }
}

/**
 * Waits until shore answers a probe, probing often at first and less as the outage lasts, and at
 * once when the browser reports a change of network. Resolves true when shore answered, false
 * when `deadline` passed or `signal` aborted first.
 */
export async function untilShoreAnswers(deadline: number, signal?: SignalLike): Promise<boolean> {
  for (;;) {
    if (signal?.aborted) return false;
    if (navigator.onLine !== false && (await probe(signal))) return true;
    const wait = Math.max(link.probeDelayMs(), 500);
    if (Date.now() + wait >= deadline) return false;
    await waitForChange(wait, signal);
  }
}
