import { CHECKING_HOLD_MS } from '../shared/config.ts';
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import { applyChange } from '../shared/queueStore.ts';
import { checked, stillChecking } from '../shared/transitions.ts';
import type { QueueItem } from '../shared/types.ts';

/*
 * Files are stored the moment they are picked and checked afterwards: hashed (SHA-256, for the
 * server's whole-file check and to find content already queued) in a dedicated worker while the
 * file waits with the reason "checking". The page holds each file for CHECKING_HOLD_MS at a time;
 * a page closed mid-check lets it go at the end of the hold, unhashed.
 */

/** A file to hash, from the page to the hash worker. */
export interface HashRequest {
  id: number;
  blob: Blob;
}

/** The hash worker's answers: progress, the digest (hex), or why it failed. */
export type HashReply =
  | { id: number; hashed: number }
  | { id: number; sha256: string }
  | { id: number; error: string };

let worker: Worker | null = null;
let nextJob = 0;

/** SHA-256 (hex) of a Blob, computed off the page's thread. */
export function hashInWorker(blob: Blob, onProgress?: (hashed: number) => void): Promise<string> {
  worker ??= new Worker(new URL('./hashWorker.ts', import.meta.url), { type: 'module' });
  const w = worker;
  const id = ++nextJob;
  return new Promise((resolve, reject) => {
    const done = () => {
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
    w.postMessage({ id, blob } satisfies HashRequest);
  });
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
  }
}

async function checkOne(item: QueueItem, known: Set<string>, hooks: CheckHooks): Promise<void> {
  const hold = () => applyChange(store, item.id, stillChecking(Date.now() + CHECKING_HOLD_MS, Date.now()));
  // A file in a backoff or held by a budget keeps its reason; its upload may start at any moment.
  // One just added is held already: a write saved per file counts over a batch of hundreds.
  const heldLongEnough =
    item.waitReason === 'checking' && (item.notBefore ?? 0) - Date.now() > CHECKING_HOLD_MS / 2;
  if (!heldLongEnough && (await hold())?.waitReason !== 'checking') return;
  const blob = await store.blob(item.id);
  if (!blob) return;
  const renew = setInterval(() => void hold().catch(() => {}), CHECKING_HOLD_MS / 3);
  // Small files are checked in a blink: only large ones say how far they got.
  const shown = item.size >= SHOW_PROGRESS_FROM;
  try {
    const sha256 = await hashInWorker(
      blob as Blob,
      (hashed) => shown && hooks.progress(item.id, hashed / item.size),
    );
    await applyChange(store, item.id, checked(sha256, known.has(sha256), Date.now()));
    known.add(sha256);
  } catch {
    // Unreadable here: the upload reads the same bytes, and says so on the row if it cannot.
    await applyChange(store, item.id, (c) =>
      c.status === 'waiting' && c.waitReason === 'checking'
        ? { waitReason: 'queued', notBefore: null, updatedAt: Date.now() }
        : null,
    );
  } finally {
    clearInterval(renew);
    if (shown) hooks.progress(item.id, null);
  }
  hooks.changed();
}
