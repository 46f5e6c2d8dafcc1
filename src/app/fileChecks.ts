import { CHECKING_HOLD_MS } from '../shared/config.ts';
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import { applyChange } from '../shared/queueStore.ts';
import { checkFailed, stillChecking } from '../shared/transitions.ts';
import type { QueueItem } from '../shared/types.ts';

/*
 * Files are stored the moment they are picked and checked afterwards: hashed (SHA-256, for the
 * server's whole-file check and to find content already queued) in a dedicated worker while the
 * file waits with the reason "checking". The page holds each file for CHECKING_HOLD_MS at a time;
 * a page closed mid-check lets it go at the end of the hold, unhashed.
 */

/**
 * From the page to the hash worker: a stored file to check, with the file as picked when this page
 * has it (read from the device's own storage, not IndexedDB's copy), else its queue id to read the
 * copy; or the crew's new Data saver choice for a file, recorded by the worker with its copies.
 */
export type CheckRequest = { itemId: string } & (
  | {
      picked?: Blob;
      /** Digests of content already queued or uploaded: a file with one of them is paused as a copy. */
      known: string[];
    }
  | { dataSaver: boolean }
);

/** A request as posted, with the number its answers carry. */
export type HashRequest = CheckRequest & { id: number };

/**
 * Files picked on this page, by queue id, until checked. Hashing these rather than IndexedDB's copy
 * matters after upload: Chromium deletes a released copy's bytes only once no page or worker has
 * read it, and a dedicated worker that had read it kept them on disk after it was terminated.
 */
const pickedFiles = new Map<string, Blob>();

/** Remembers the file picked for a queue item, to be checked from it. */
export function rememberPicked(itemId: string, file: Blob): void {
  pickedFiles.set(itemId, file);
}

/**
 * The hash worker's answers: progress, or the file's check is over and recorded (with the digest
 * of what will be sent, when it has one), or it failed before anything was recorded.
 */
export type HashReply =
  | { id: number; hashed: number }
  | { id: number; sha256: string | null }
  | { id: number; error: string };

let worker: Worker | null = null;
let nextJob = 0;
/** Requests the worker has not answered yet: it is not stopped under them. */
let pending = 0;

/** Sends one request to the hash worker (started when needed); resolves to its digest, if any. */
function ask(request: CheckRequest, onProgress?: (hashed: number) => void): Promise<string | null> {
  worker ??= new Worker(new URL('./hashWorker.ts', import.meta.url), { type: 'module' });
  const w = worker;
  const id = ++nextJob;
  pending++;
  return new Promise((resolve, reject) => {
    const done = () => {
      pending--;
      w.removeEventListener('message', onMessage);
      w.removeEventListener('error', onError);
    };
    const onMessage = (event: MessageEvent<HashReply>) => {
      const reply = event.data;
      if (reply.id !== id) return;
      if ('hashed' in reply) return onProgress?.(reply.hashed);
      done();
      if ('sha256' in reply) resolve(reply.sha256);
      else reject(new Error(reply.error));
    };
    const onError = (event: ErrorEvent) => {
      done();
      reject(new Error(`The file checker could not start (${event.message || 'no reason given'})`));
    };
    w.addEventListener('message', onMessage);
    w.addEventListener('error', onError);
    w.postMessage({ ...request, id } satisfies HashRequest);
  });
}

/** Checks a stored file off the page's thread; resolves to the SHA-256 (hex) it recorded, if any. */
export function hashInWorker(
  itemId: string,
  known: Set<string>,
  onProgress?: (hashed: number) => void,
  picked?: Blob,
): Promise<string | null> {
  return ask({ itemId, picked, known: [...known] }, onProgress);
}

/**
 * Records the crew's Data saver choice for one file (see `chooseDataSaver`); the worker drops a
 * smaller copy the file no longer sends in the same write. The file is then checked again.
 */
export async function chooseInWorker(itemId: string, dataSaver: boolean): Promise<void> {
  await ask({ itemId, dataSaver });
}

/** What the page learns while checking. */
export interface CheckHooks {
  /** Fraction of a file hashed so far, or null when its check is over. */
  progress(id: string, fraction: number | null): void;
  /** A file's record changed (hashed, or paused as a duplicate). */
  changed(): void;
}

const store = new IdbQueueStore();
/** Files from this size on show how far their check has got. */
const SHOW_PROGRESS_FROM = 16 * 1024 * 1024;
let checking = false;
let again = false;

/** Stored, not yet hashed and not yet started: what this page may still check. */
const unchecked = (item: QueueItem) =>
  item.sha256 === null && item.uploadUrl === null && item.status === 'waiting';

/**
 * Checks every stored file that has no hash yet, one after another: picked a moment ago, shared
 * into the app, or left unchecked by a page that closed. Safe to call often; calls made while a
 * check runs make it look again at the end.
 */
export async function checkStoredFiles(hooks: CheckHooks): Promise<void> {
  if (checking) {
    again = true;
    return;
  }
  checking = true;
  try {
    do {
      again = false;
      const items = await store.all();
      // Content already known here, so a copy is caught without reading the queue once per file.
      const known = new Set(items.flatMap((i) => (i.sha256 && i.status !== 'failed' ? [i.sha256] : [])));
      for (const item of items) if (unchecked(item)) await checkOne(item, known, hooks);
    } while (again);
  } finally {
    checking = false;
    // A worker that handled a file keeps the last Blob reachable, and Chromium deletes a released
    // file's bytes only once nothing holds it: the checker goes when there is nothing to check.
    if (!pending) {
      worker?.terminate();
      worker = null;
    }
  }
}

async function checkOne(item: QueueItem, known: Set<string>, hooks: CheckHooks): Promise<void> {
  const hold = () => applyChange(store, item.id, stillChecking(Date.now() + CHECKING_HOLD_MS, Date.now()));
  // A file in a backoff or held by a budget keeps its reason; its upload may start at any moment.
  // One just added is held already: a write saved per file counts over a batch of hundreds.
  const heldLongEnough =
    item.waitReason === 'checking' && (item.notBefore ?? 0) - Date.now() > CHECKING_HOLD_MS / 2;
  if (!heldLongEnough && (await hold())?.waitReason !== 'checking') return;
  const renew = setInterval(() => void hold().catch(() => {}), CHECKING_HOLD_MS / 3);
  // Small files are checked in a blink: only large ones say how far they got.
  const shown = item.size >= SHOW_PROGRESS_FROM;
  try {
    const sha256 = await hashInWorker(
      item.id,
      known,
      (hashed) => shown && hooks.progress(item.id, hashed / item.size),
      pickedFiles.get(item.id),
    );
    if (sha256) known.add(sha256);
  } catch (err) {
    // The checker itself failed: the upload reads the same bytes, and says so on the row if it cannot.
    await applyChange(
      store,
      item.id,
      checkFailed(err instanceof Error ? err.message : String(err), Date.now()),
    );
  } finally {
    pickedFiles.delete(item.id);
    clearInterval(renew);
    if (shown) hooks.progress(item.id, null);
  }
  hooks.changed();
}
