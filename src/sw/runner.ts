import {
  ASHORE_TIMEOUT_MS,
  DEDUPE_TIMEOUT_MS,
  RUN_BUDGET_MS,
  RUN_HARD_LIMIT_MS,
  TUS_ENDPOINT,
} from '../shared/config.ts';
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import type { DrainOutcome, InterruptRegistry } from '../shared/engine.ts';
import { FetchHttpStack } from '../shared/FetchHttpStack.ts';
import { RUNNER_LOCK, SYNC_TAG } from '../shared/messages.ts';
import { type Change, refusedWriteMessage } from '../shared/queueStore.ts';
import { awaitingShore, checkShore, type ShoreCheck } from '../shared/shoreStage.ts';
import { timerClock } from '../shared/timerClock.ts';
import { forgetBackoff as backoffForgotten, reconsiderAdmission } from '../shared/transitions.ts';
import { createTusUploader } from '../shared/tusUploader.ts';
import type { QueueItem } from '../shared/types.ts';
import {
  askDedupe,
  type ControlHome,
  changeEach as changeEachIn,
  controlRequest,
  drainUntil,
  linkChunks,
} from '../shared/uploadAgent.ts';
import { tellIfAshore } from './ashore.ts';
import { announce } from './bridge.ts';
import { link } from './link.ts';
import { rules } from './settings.ts';
import { terminateUpload } from './terminations.ts';

declare const self: ServiceWorkerGlobalScope;

const store = new IdbQueueStore();

/** The queue as the worker sees it, for other handlers (e.g. the share target). */
export const queueStore = store;

/** The run's clock: news from a page ends its current waits (`nudge`). */
const clock = timerClock({ setTimeout, clearTimeout });

/**
 * A page changed the queue (a file checked, resumed, added): a run waiting for a file's time to
 * come looks again now instead of at the time it had planned. The engine's wait is only ever for
 * the next item to become runnable, so waking it early is always safe.
 */
export function nudge(): void {
  clock.wake();
}

/** Headers that authenticate this device, when it was enrolled. */
async function authHeaders(): Promise<Record<string, string>> {
  const credential = await store.credential();
  return credential ? { Authorization: `Bearer ${credential.token}` } : {};
}

/** The worker's own small requests to the server, counted on the link. */
const control: ControlHome = {
  fetch: (url, { timeoutMs, ...init }) => fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
  link,
  rules,
};

const uploader = createTusUploader({
  endpoint: new URL(TUS_ENDPOINT, self.location.origin).href,
  httpStack: new FetchHttpStack({
    // A queued file's Blob is a Blob here, and fetch takes it as the body.
    fetch: (url, init) => fetch(url, init as RequestInit),
    AbortController,
    clock,
    limits: () => link.limits(),
    link: link.traffic,
    pace: (bytes, elapsedMs) => rules.paceAfter(bytes, elapsedMs),
    progressUrl: (uploadUrl) => {
      const id = new URL(uploadUrl).pathname.split('/').pop();
      return id ? new URL(`/api/progress/${id}`, self.location.origin).href : null;
    },
  }),
  chunkSize: linkChunks(link, rules, () => runDeadline - Date.now()),
  getHeaders: authHeaders,
  blockChecksums: true,
  alreadyStored: askDedupe(control, '/api/dedupe', DEDUPE_TIMEOUT_MS),
});

/** When the current run's last chunk must have been answered: before Chromium stops the worker. */
let runDeadline = Date.now() + RUN_BUDGET_MS;

/** Attempts in progress, so a pause or removal from a page stops the right one at once. */
const attempts = new Map<string, () => void>();
const interrupts: InterruptRegistry = {
  watch(id, stop) {
    attempts.set(id, stop);
    return () => attempts.delete(id);
  },
};

/** Stops the attempt on `id` if one is running here (the page has already changed the item). */
export function interrupt(id: string): void {
  attempts.get(id)?.();
}

/** Ends a removed item's upload on the server, now or when the link returns. */
export async function terminate(uploadUrl: string): Promise<void> {
  await terminateUpload(uploadUrl, await authHeaders());
}

/** Applies `change` to every item, announcing each that changed. */
function changeEach(change: Change): Promise<void> {
  return changeEachIn(store, change, (item) => announce({ type: 'item-changed', item }));
}

/** The link is back: retries waiting out a backoff may go now, not at the end of a long delay. */
export function forgetBackoff(): Promise<void> {
  return changeEach(backoffForgotten(Date.now()));
}

/** The crew saved new link settings: read them, and let files they held back be asked again. */
export async function settingsChanged(): Promise<void> {
  await rules.load();
  await changeEach(reconsiderAdmission(Date.now()));
  await runQueue('settings');
}

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

/** True for an item that still waits to be uploaded. */
const isPending = (i: QueueItem) => i.status === 'waiting' || i.status === 'uploading';

/** True when some item still waits to be uploaded. */
async function hasPendingWork(): Promise<boolean> {
  return (await store.all()).some(isPending);
}

/** How long a sync run waits for the worker to see the link it was fired for. */
const ONLINE_GRACE_MS = 5_000;

/** Resolves true as soon as the worker is online, or false after `ms`. */
function onlineWithin(ms: number): Promise<boolean> {
  if (navigator.onLine !== false) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (online: boolean) => {
      clearTimeout(timer);
      self.removeEventListener('online', onOnline);
      resolve(online);
    };
    const onOnline = () => done(true);
    const timer = setTimeout(() => done(navigator.onLine !== false), ms);
    self.addEventListener('online', onOnline);
  });
}

/** How a call to runQueue ended, and whether another run has been asked for. */
export interface RunResult {
  /** 'ran' when this call uploaded; otherwise why it did not. */
  kind: 'ran' | 'offline' | 'signed-out' | 'busy';
  outcome: DrainOutcome | null;
  /** A Background Sync is registered for the rest of the work. */
  resynced: boolean;
}

/**
 * Drains the queue if no other runner (tab or worker) is at it, within Chromium's sync lifetime.
 * When the link seems up but the server cannot be reached, retries inside the run with growing
 * pauses instead of ending at once: ending would re-fire the sync event in a tight loop.
 * @param waitForLock wait for a running run to end instead of leaving at once (sync events do:
 *   the run they would skip may belong to a page that is about to close). They wait as long as that
 *   run may last: a sync that gave up waiting failed its event, and Chromium then fires it again only
 *   5 minutes later, however often the tag is registered meanwhile; with a run started by a page's
 *   message holding the lock, the queue sat idle for minutes with the link up and the page open.
 */
export async function runQueue(trigger: string, { waitForLock = false } = {}): Promise<RunResult> {
  const started = Date.now();
  // A sync fires because the browser saw the link come back; the worker's own online flag can lag
  // behind it. Giving up here would fail the event, and Chromium retries it only minutes later.
  if (navigator.onLine === false && !(waitForLock && (await onlineWithin(ONLINE_GRACE_MS)))) {
    // No link at all: an attempt would only flip items to Uploading and back. Sync fires on return.
    return { kind: 'offline', outcome: null, resynced: await requestSync() };
  }
  // Refused by the server: the files wait until the device is enrolled again; the page says so.
  // A device never enrolled still tries: the server's answer (401) is what the page reports.
  if ((await store.credential())?.rejectedAt) return { kind: 'signed-out', outcome: null, resynced: false };
  const options: LockOptions = waitForLock
    ? { signal: AbortSignal.timeout(RUN_HARD_LIMIT_MS) }
    : { ifAvailable: true };
  const result = await navigator.locks
    .request(RUNNER_LOCK, options, async (lock): Promise<RunResult> => {
      if (!lock) return { kind: 'busy', outcome: null, resynced: false };
      const outcome = await drain(trigger, started);
      if (outcome.stoppedBecause === 'signed-out') {
        await markSignedOut();
        return { kind: 'ran', outcome, resynced: false };
      }
      // A full device is not retried at once: a sync would fire again straight away, and fail the same.
      // Nor are files held back by a budget or a metered link: a settings change or the page asks again.
      const more =
        outcome.remaining > 0 &&
        outcome.stoppedBecause !== 'storage-full' &&
        outcome.stoppedBecause !== 'held';
      return { kind: 'ran', outcome, resynced: more && (await requestSync()) };
    })
    .catch((): RunResult => ({ kind: 'busy', outcome: null, resynced: false }));
  if (result.outcome && result.outcome.uploaded > 0 && result.outcome.stoppedBecause !== 'signed-out') {
    // On an on-board relay, a file it holds is not yet ashore: ask before telling the crew. Asked
    // after the runner lock is let go, so a slow answer over a poor link holds no upload back.
    await checkAshore().catch(() => undefined);
    await tellIfAshore(await store.all()).catch(() => null);
  }
  return result;
}

/**
 * One run, holding the runner lock, within what is left of the budget since `started`. Items a
 * killed browser left "uploading" go back to waiting first: the Web Lock is the lease, released when
 * its holder dies, whatever the way.
 */
async function drain(trigger: string, started: number): Promise<DrainOutcome> {
  const hard = AbortSignal.timeout(RUN_HARD_LIMIT_MS - (Date.now() - started));
  announce({ type: 'run-state', running: true });
  let outcome: DrainOutcome | null = null;
  runDeadline = started + RUN_HARD_LIMIT_MS - 10_000;
  try {
    outcome = await drainUntil({
      store,
      uploader,
      clock,
      link,
      rules,
      until: started + RUN_BUDGET_MS,
      signal: hard,
      interrupts,
      onProgress: (id, bytesOnServer) => announce({ type: 'item-progress', id, bytesOnServer }),
      onChange: (item) => announce({ type: 'item-changed', item }),
      onStorageFull: (id, error) =>
        announce({ type: 'storage-full', id, message: refusedWriteMessage(error) }),
      warn: (message, err) => console.error(`[tender] ${message}`, err),
    });
    return outcome;
  } catch (err) {
    console.error('[tender] run failed', err instanceof Error ? `${err.name}: ${err.message}` : err, err);
    throw err;
  } finally {
    announce({
      type: 'run-state',
      running: false,
      stoppedBecause: outcome?.stoppedBecause ?? 'error',
      remaining: outcome?.remaining ?? 0,
    });
    console.info(`[tender] run (${trigger}) stopped: ${outcome?.stoppedBecause ?? 'error'}`);
  }
}

/**
 * Whether a sync event must fail so that Chromium fires it again. A worker may only register a
 * sync while a page of the app is open ("Attempted to register a sync event without a window");
 * with every page closed, failing the event is the one way to be woken again: Chromium retries a
 * failed sync after 5 and then 15 minutes (3 attempts, content/public/browser/background_sync_parameters.cc).
 */
export async function syncNeedsRetry(result: RunResult): Promise<boolean> {
  if (result.resynced || result.kind === 'signed-out') return false;
  if (result.outcome?.stoppedBecause === 'signed-out') return false;
  if (result.outcome) return result.outcome.remaining > 0;
  return hasPendingWork();
}

/** Asks the server about `ids` (GET /api/ashore), within a bounded time, counting its bytes as control traffic. */
async function askStages(ids: string[], headers: Record<string, string>): Promise<unknown> {
  const url = `/api/ashore?ids=${ids.map(encodeURIComponent).join(',')}`;
  const res = await controlRequest(control, url, { headers, timeoutMs: ASHORE_TIMEOUT_MS });
  return res.ok ? JSON.parse(res.text) : null;
}

let shoreCheck: Promise<ShoreCheck> | null = null;

/**
 * Asks the server which uploaded files are ashore (one check at a time; callers meanwhile share
 * it), records the answers, and tells the crew of files that reached shore.
 */
export function checkAshore(): Promise<ShoreCheck> {
  shoreCheck ??= (async () => {
    try {
      const headers = await authHeaders();
      const result = await checkShore({
        store,
        now: Date.now,
        ask: (ids) => askStages(ids, headers),
        onChange: (item) => announce({ type: 'item-changed', item }),
      });
      if (result.changed.some((i) => i.ashoreAt != null))
        await tellIfAshore(await store.all()).catch(() => null);
      return result;
    } finally {
      shoreCheck = null;
    }
  })();
  return shoreCheck;
}

/**
 * A start of the worker, from one read of the queue: asks the server again, in the background,
 * while some uploaded file is not yet known to be ashore; resolves true when some item still waits
 * to be uploaded.
 */
export async function checkOnWake(): Promise<boolean> {
  const items = await store.all();
  if (items.some(awaitingShore)) void checkAshore().catch(() => undefined);
  return items.some(isPending);
}
