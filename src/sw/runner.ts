import {
  DEFAULT_CHUNK_SIZE,
  MIN_BYTES_PER_SEC,
  RUN_BUDGET_MS,
  RUN_HARD_LIMIT_MS,
  STALL_TIMEOUT_MS,
  TUS_ENDPOINT,
} from '../shared/config.ts';
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import { type Clock, type DrainOutcome, drainQueue } from '../shared/engine.ts';
import { RUNNER_LOCK, SYNC_TAG } from '../shared/messages.ts';
import { createTusUploader } from '../shared/tusUploader.ts';
import type { BlobLike, SignalLike } from '../shared/types.ts';
import { announce, viewOf } from './bridge.ts';
import { FetchHttpStack } from './FetchHttpStack.ts';

declare const self: ServiceWorkerGlobalScope;

const store = new IdbQueueStore();

const clock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal?: SignalLike) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done);
    }),
};

const uploader = createTusUploader({
  endpoint: new URL(TUS_ENDPOINT, self.location.origin).href,
  httpStack: new FetchHttpStack({ stallMs: STALL_TIMEOUT_MS, minBytesPerSec: MIN_BYTES_PER_SEC }),
  chunkSize: DEFAULT_CHUNK_SIZE,
  getHeaders: async (): Promise<Record<string, string>> => {
    const credential = await store.credential();
    return credential ? { Authorization: `Bearer ${credential.token}` } : {};
  },
});

/** The server refused this device's token: stop until the device is enrolled again. */
async function markSignedOut(): Promise<void> {
  const credential = await store.credential();
  if (credential && !credential.rejectedAt)
    await store.setCredential({ ...credential, rejectedAt: Date.now() });
  announce({ type: 'auth-changed' });
}

/** Asks the browser for a Background Sync; false where the API is missing (Safari, Firefox). */
export async function requestSync(): Promise<boolean> {
  const sync = self.registration.sync;
  if (!sync) return false;
  try {
    await sync.register(SYNC_TAG);
    return true;
  } catch {
    return false;
  }
}

/** True when some item still waits to be uploaded. */
export async function hasPendingWork(): Promise<boolean> {
  const items = await store.all();
  return items.some((i) => i.status === 'waiting' || i.status === 'uploading');
}

/**
 * Drains the queue if no other runner (tab or worker) is at it, within Chromium's sync lifetime.
 * When the link seems up but the server cannot be reached, retries inside the run with growing
 * pauses instead of ending at once: ending would re-fire the sync event in a tight loop.
 */
export async function runQueue(trigger: string): Promise<void> {
  if (navigator.onLine === false) {
    // No link at all: an attempt would only flip items to Uploading and back. Sync fires on return.
    await requestSync();
    return;
  }
  // Refused by the server: the files wait until the device is enrolled again; the page says so.
  // A device never enrolled still tries: the server's answer (401) is what the page reports.
  if ((await store.credential())?.rejectedAt) return;
  await navigator.locks.request(RUNNER_LOCK, { ifAvailable: true }, async (lock) => {
    if (!lock) return;
    const started = Date.now();
    const hard = AbortSignal.timeout(RUN_HARD_LIMIT_MS);
    announce({ type: 'run-state', running: true });
    let outcome: DrainOutcome | null = null;
    let pauseMs = 2_000;
    try {
      for (;;) {
        const budgetMs = RUN_BUDGET_MS - (Date.now() - started);
        outcome = await drainQueue<BlobLike>({
          store,
          uploader,
          clock,
          signal: hard,
          budgetMs,
          onChange: (item) => announce({ type: 'item-changed', item: viewOf(item as never) }),
        });
        const linkSeemsUp = navigator.onLine !== false;
        const timeLeft = RUN_BUDGET_MS - (Date.now() - started) > pauseMs;
        if (outcome.stoppedBecause !== 'offline' || !linkSeemsUp || !timeLeft) break;
        await clock.sleep(pauseMs, hard);
        pauseMs = Math.min(pauseMs * 2, 30_000);
      }
    } finally {
      announce({
        type: 'run-state',
        running: false,
        stoppedBecause: outcome?.stoppedBecause ?? 'error',
        remaining: outcome?.remaining ?? 0,
      });
      console.info(`[tender] run (${trigger}) stopped: ${outcome?.stoppedBecause ?? 'error'}`);
    }
    if (outcome?.stoppedBecause === 'signed-out') await markSignedOut();
    else if (outcome && outcome.remaining > 0) await requestSync();
  });
}
