import { useEffect, useState } from 'preact/hooks';
import { ASHORE_POLL_MS, CHECKING_HOLD_MS } from '../shared/config.ts';
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import { IdbSettingsStore } from '../shared/db/IdbSettingsStore.ts';
import { compareItems } from '../shared/engine.ts';
import type { LinkSnapshot } from '../shared/linkEstimator.ts';
import { type Change, isRefusedWrite, refusedWriteMessage } from '../shared/queueStore.ts';
import { awaitingShore } from '../shared/shoreStage.ts';
import { storageRoom } from '../shared/storageRoom.ts';
import { pause, reprioritise, resume, retag, retry } from '../shared/transitions.ts';
import {
  clampPriority,
  type NewFile,
  newQueueItem,
  type QueueItem,
  type UploadTags,
} from '../shared/types.ts';
import { checkStoredFiles, chooseInWorker, rememberPicked } from './fileChecks.ts';
import { readStorage, type StorageState } from './storageState.ts';
import { onWorkerMessage, postToWorker, requestUpload } from './swBridge.ts';

const store = new IdbQueueStore();

/** What the page shows: the queue as stored in IndexedDB, kept fresh by the worker's messages. */
export interface QueueState {
  items: QueueItem[];
  /** Bytes the server has received of running items, ahead of their confirmed offsets. */
  live: Record<string, number>;
  running: boolean;
  loaded: boolean;
  /** What the origin's storage holds and allows, when the browser says. */
  storage: StorageState | null;
  /** Items whose state the device's storage refused to save, with the words to show on their row. */
  storageFull: Record<string, string>;
  /** What the worker last said about the link to shore. */
  link: LinkSnapshot | null;
  /** Files being checked (hashed) on this device, and how far, 0–1. */
  checking: Record<string, number>;
}

type Listener = (state: QueueState) => void;
let state: QueueState = {
  items: [],
  live: {},
  running: false,
  loaded: false,
  storage: null,
  storageFull: {},
  link: null,
  checking: {},
};
const listeners = new Set<Listener>();

function publish(next: QueueState): void {
  state = next;
  for (const listener of listeners) listener(state);
}

function sortForDisplay(items: QueueItem[]): QueueItem[] {
  return [...items].sort((a, b) => compareItems(a as QueueItem, b as QueueItem));
}

/** Rebuilds the list from IndexedDB: the queue, not page memory, is the truth. */
export async function reloadQueue(): Promise<void> {
  const [items, storage] = await Promise.all([store.all(), readStorage()]);
  // For the queue benchmark and DevTools: when the first read of the queue was in hand.
  if (!state.loaded) performance.mark('tender:queue-read');
  publish({ ...state, loaded: true, items: sortForDisplay(items), storage });
}

/** A queued file's bytes, while this device still holds them (for thumbnails). */
export function queuedBlob(id: string): Promise<Blob | undefined> {
  return store.blob(id);
}

/** Options chosen in the Add files form. */
export interface AddOptions {
  priority: number;
  tags: UploadTags;
  /** Keep the files on this device after the server has them (default: free the space). */
  keepLocalCopy?: boolean;
  /** Send smaller copies of photos (default: the originals, untouched). */
  dataSaver?: boolean;
}

/** Hashes the files that have no hash yet, in the background, and shows how far it got. */
function checkFiles(): Promise<void> {
  return checkStoredFiles({
    progress(id, fraction) {
      const { [id]: _done, ...rest } = state.checking;
      publish({ ...state, checking: fraction === null ? rest : { ...rest, [id]: fraction } });
    },
    changed: afterChecks,
  });
}

let checksSettled: ReturnType<typeof setTimeout> | null = null;

/**
 * A file was checked: the worker hears of it at once (its run may be waiting for just this file),
 * the list at most every 300 ms over a batch.
 */
function afterChecks(): void {
  void postToWorker({ type: 'drain', reason: 'checked' });
  if (checksSettled) return;
  checksSettled = setTimeout(() => {
    checksSettled = null;
    void reloadQueue();
  }, 300);
}

/** Why some files could not be added, in words for the crew. */
export class AddFilesError extends Error {
  constructor(
    message: string,
    readonly notAdded: string[],
  ) {
    super(message);
    this.name = 'AddFilesError';
  }
}

/**
 * Stores files in the queue at once (all or none), checks each can be read back, and asks the
 * worker to upload them; each is then hashed in the background (see fileChecks.ts) and waits for
 * that while this page is open. Refuses up front when the device's storage would not hold them.
 */
export async function addFiles(files: File[], options: AddOptions): Promise<void> {
  if (!files.length) return;
  const names = files.map((f) => f.name);
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  const room = storageRoom(await navigator.storage?.estimate?.().catch(() => undefined), bytes);
  if (!room.fits) {
    throw new AddFilesError(
      `Not enough space on this device to keep these files until they are sent (${mb(bytes)} needed, ${mb(room.free ?? 0)} free). Nothing was added.`,
      names,
    );
  }
  const now = Date.now();
  const added: NewFile<Blob>[] = files.map((file) => ({
    blob: file,
    item: newQueueItem(
      {
        id: crypto.randomUUID(),
        blob: file,
        name: file.name,
        type: file.type,
        priority: clampPriority(options.priority),
        tags: options.tags,
        keepLocalCopy: options.keepLocalCopy ?? false,
        dataSaver: options.dataSaver ?? false,
        checkingUntil: now + CHECKING_HOLD_MS,
      },
      now,
    ),
  }));
  try {
    await store.add(added);
    for (const { item, blob } of added) rememberPicked(item.id, blob);
  } catch (err) {
    const quota = err instanceof DOMException && err.name === 'QuotaExceededError';
    throw new AddFilesError(
      quota
        ? 'This device ran out of storage space while keeping the files. Nothing was added; free some space and try again.'
        : `The files could not be stored on this device (${err instanceof Error ? err.message : String(err)}). Nothing was added.`,
      names,
    );
  }
  // A copy the device cannot read back (WebKit bug 47700) is found by the check that follows,
  // which reads it in the hash worker: a Blob read here would keep the copy's bytes on disk after
  // upload until this page's collector happened to run.
  // The upload (a Background Sync, which also fires later with every page closed) is asked for
  // before the files show as Waiting: a crew member who sees them queued may close the app at once.
  await requestUpload('added');
  await reloadQueue();
  void checkFiles();
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Asks the store for a change of one item; the store applies it only if it still fits the item as
 * stored. Resolves to the item afterwards. A write refused for lack of space says so on the row.
 */
async function change(id: string, wanted: Change): Promise<QueueItem | undefined> {
  try {
    return await store.update(id, wanted);
  } catch (err) {
    if (!isRefusedWrite(err)) throw err;
    publish({
      ...state,
      storageFull: { ...state.storageFull, [id]: `The change was not saved. ${refusedWriteMessage(err)}` },
    });
    return store.get(id);
  } finally {
    await reloadQueue();
  }
}

/** Stops a file for now: it keeps its place and what the server already holds. */
export async function pauseItem(id: string): Promise<void> {
  const item = await change(id, pause(Date.now()));
  if (item?.status === 'paused') await postToWorker({ type: 'interrupt', id });
}

/** Lets a paused file go again. */
export async function resumeItem(id: string): Promise<void> {
  const item = await change(id, resume(Date.now()));
  if (item?.status === 'waiting') await requestUpload('resumed');
  // A file whose Data saver choice changed while paused is checked again before it goes.
  if (item?.sha256 === null) void checkFiles();
}

/** Pauses every file that is waiting or uploading. */
export async function pauseAll(): Promise<void> {
  for (const item of await store.all()) await pauseItem(item.id);
}

/** Resumes every paused file. */
export async function resumeAll(): Promise<void> {
  for (const item of await store.all()) if (item.status === 'paused') await resumeItem(item.id);
}

/** Sends a failed file again from where the server left off, with a fresh count of attempts. */
export async function retryItem(id: string): Promise<void> {
  const item = await change(id, retry(Date.now()));
  if (item?.status === 'waiting') await requestUpload('retry');
}

/** Retries every failed file. */
export async function retryAllFailed(): Promise<void> {
  for (const item of await store.all()) if (item.status === 'failed') await retryItem(item.id);
}

/** Removes a file for good: from this device, and from the server when it was not finished. */
export async function removeItem(id: string): Promise<void> {
  const item = await store.get(id);
  if (!item) return;
  await store.remove(id);
  await postToWorker({ type: 'interrupt', id });
  if (item.uploadUrl && item.status !== 'uploaded')
    await postToWorker({ type: 'terminate', uploadUrl: item.uploadUrl });
  await reloadQueue();
}

/** Changes a waiting file's tags, before its upload is created (they travel with it). */
export async function setTags(id: string, tags: UploadTags): Promise<void> {
  await change(id, retag(tags, Date.now()));
}

/**
 * Switches one file between its original and Data saver before any byte of it is sent; it is then
 * checked again under the new choice (which replaces or drops a smaller copy it had).
 */
export async function setDataSaver(id: string, on: boolean): Promise<void> {
  await chooseInWorker(id, on).catch(() => {});
  await reloadQueue();
  void checkFiles();
}

/** Changes a file's priority (1–10) while it is not yet uploaded. */
export async function setPriority(id: string, priority: number): Promise<void> {
  const item = await change(id, reprioritise(priority, Date.now()));
  if (item && item.status !== 'uploaded') await requestUpload('priority');
}

/** Removes uploaded files older than `hours` from this device, kept copies included (the server keeps them). */
export async function clearUploaded(hours: number): Promise<number> {
  const cutoff = Date.now() - hours * 3_600_000;
  let removed = 0;
  for (const item of await store.all()) {
    if (item.status === 'uploaded' && (item.uploadedAt ?? 0) <= cutoff) {
      await store.remove(item.id);
      removed++;
    }
  }
  await reloadQueue();
  return removed;
}

let started = false;
/** When the worker last announced anything. */
let lastHeard = 0;
/** When this page last asked the worker to upload. */
let lastAsked = 0;
const WATCHDOG_MS = 2_000;

/** True when `item` could be uploaded now, as far as the page can tell. */
const runnable = (item: QueueItem, now: number) =>
  item.status === 'waiting' && item.waitReason !== 'signed-out' && (item.notBefore ?? 0) <= now;

/**
 * While a page is open, work that could go never sits still: whatever ended the worker's last run
 * (a sync event that was not fired again, a worker stopped by the browser, a run that died), the
 * page asks again within a few seconds. A run in progress that still talks is left alone.
 */
function watchdog(): void {
  const now = Date.now();
  const talking = state.running && now - lastHeard < 10_000;
  if (
    talking ||
    !navigator.onLine ||
    now - lastAsked < WATCHDOG_MS ||
    !state.items.some((i) => runnable(i, now))
  )
    return;
  lastAsked = now;
  void requestUpload('watchdog');
}

/** Loads the queue once and follows the worker; safe to call more than once. */
function start(): void {
  if (started) return;
  started = true;
  void reloadQueue().then(checkFiles);
  // What the worker last knew of the link, until it says more.
  void new IdbSettingsStore()
    .linkSnapshot()
    .then((link) => link && !state.link && publish({ ...state, link }))
    .catch(() => {});
  onWorkerMessage((message) => {
    if (message.type === 'item-changed') {
      const others = state.items.filter((i) => i.id !== message.item.id);
      const { [message.item.id]: _done, ...live } = state.live;
      const keep = message.item.status === 'uploading' ? state.live : live;
      // A write went through: whatever refused one before has passed.
      const { [message.item.id]: _full, ...storageFull } = state.storageFull;
      publish({ ...state, live: keep, storageFull, items: sortForDisplay([...others, message.item]) });
    } else if (message.type === 'storage-full') {
      publish({ ...state, storageFull: { ...state.storageFull, [message.id]: message.message } });
    } else if (message.type === 'item-progress') {
      publish({ ...state, live: { ...state.live, [message.id]: message.bytesOnServer } });
    } else if (message.type === 'run-state') {
      publish({ ...state, running: message.running });
      if (!message.running) void reloadQueue();
    } else if (message.type === 'link') {
      publish({ ...state, link: message.link });
    }
    lastHeard = Date.now();
  });
  setInterval(watchdog, WATCHDOG_MS);
  // A file on board an on-board relay: the worker asks the relay again while the list is in sight.
  setInterval(() => {
    if (document.visibilityState === 'visible' && state.items.some(awaitingShore))
      void postToWorker({ type: 'check-ashore' });
  }, ASHORE_POLL_MS);
  const wake = (reason: string) => void requestUpload(reason);
  window.addEventListener('online', () => wake('online'));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      void reloadQueue();
      wake('visible');
    }
  });
  wake('open');
}

/** The queue state as a hook. */
export function useQueue(): QueueState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    start();
    listeners.add(setCurrent);
    setCurrent(state);
    return () => void listeners.delete(setCurrent);
  }, []);
  return current;
}
