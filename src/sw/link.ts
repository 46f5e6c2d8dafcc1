import { ChunkSizer } from '../shared/chunkSizer.ts';
import { IdbSettingsStore } from '../shared/db/IdbSettingsStore.ts';
import { LinkEstimator, type LinkHints } from '../shared/linkEstimator.ts';
import type { SpendKind } from '../shared/spendLedger.ts';
import type { LinkTraffic, StallLimits } from '../shared/stallJudge.ts';
import { stallLimits } from '../shared/stallJudge.ts';
import type { SignalLike } from '../shared/types.ts';
import { announce } from './bridge.ts';
import { noteSpend, recordSpend } from './settings.ts';

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

const snapshots = new IdbSettingsStore();
void snapshots
  .linkSnapshot()
  .then((saved) => saved && link.restore(saved))
  .catch(() => {});

/** Keeps what the worker learned about the link for its next start, and for pages opened later. */
export async function saveLink(): Promise<void> {
  await snapshots.setLinkSnapshot(link.snapshot()).catch((err) => {
    console.error('[tender] link state could not be saved', err);
  });
}

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
  noteSpend(bytes, kind);
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
export async function probe(signal?: AbortSignal): Promise<boolean> {
  const started = Date.now();
  const timeout = AbortSignal.timeout(currentLimits().answerMs);
  try {
    const res = await fetch(new URL('/probe', self.location.origin), {
      cache: 'no-store',
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    const text = await res.text();
    countSpend(PROBE_BYTES + text.length, 'probe');
    link.probed(true, Date.now() - started);
    return true;
  } catch {
    countSpend(PROBE_BYTES, 'probe');
    // Called off because another probe answered: that says nothing against the link.
    if (!signal?.aborted) link.probed(false);
    return false;
  } finally {
    announceLink();
  }
}

/** A probe's request and answer headers, roughly. */
const PROBE_BYTES = 600;
/** Probes in flight at once while shore does not answer. */
const MAX_PROBES = 4;

/**
 * Waits until shore answers a probe. Probes start on a schedule (LinkEstimator.probeDelayMs: every
 * second at first, less often as the outage lasts) without waiting for the one before: a probe sent
 * into a dead satellite hangs until its timeout, and the link's return must be seen within seconds,
 * not after that timeout. A change of network reported by the browser probes at once. Resolves
 * true when shore answered, false when `deadline` passed or `signal` aborted first.
 */
export function untilShoreAnswers(deadline: number, signal?: SignalLike): Promise<boolean> {
  return new Promise((resolve) => {
    const probes = new AbortController();
    let inFlight = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (answered: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      waiters.delete(fire);
      signal?.removeEventListener('abort', stop);
      probes.abort();
      resolve(answered);
    };
    const stop = () => finish(false);
    const fire = () => {
      if (done) return;
      clearTimeout(timer);
      if (Date.now() >= deadline) return finish(false);
      if (navigator.onLine !== false && inFlight < MAX_PROBES) {
        inFlight++;
        void probe(probes.signal).then((ok) => {
          inFlight--;
          if (ok) finish(true);
        });
      }
      waiters.add(fire);
      timer = setTimeout(fire, Math.max(link.probeDelayMs(), 500));
    };
    if (signal?.aborted) return finish(false);
    signal?.addEventListener('abort', stop);
    fire();
  });
}
