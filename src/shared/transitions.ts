import { type Admission, isAdmissionWait } from './admission.ts';
import type { Change } from './queueStore.ts';
import { clampPriority, waitedMs } from './types.ts';

/*
 * What the crew can ask of a queued file, as conditional changes: each applies only from the states
 * where it makes sense, judged by the store against the record as stored at that instant. A pause
 * that lands while the worker is finishing a chunk is never overwritten by it.
 */

/** Stops a file for now: it keeps its place and what the server already holds. */
export const pause =
  (now: number): Change =>
  (item) =>
    item.status === 'waiting' || item.status === 'uploading'
      ? {
          status: 'paused',
          waitReason: null,
          waitingMs: waitedMs(item, now),
          waitingSince: null,
          updatedAt: now,
        }
      : null;

/** Lets a paused file go again. */
export const resume =
  (now: number): Change =>
  (item) =>
    item.status === 'paused'
      ? { status: 'waiting', waitReason: 'queued', notBefore: null, waitingSince: now, updatedAt: now }
      : null;

/** Sends a failed file again from where the server left off, with a fresh count of attempts. */
export const retry =
  (now: number): Change =>
  (item) =>
    item.status === 'failed'
      ? {
          status: 'waiting',
          waitReason: 'queued',
          notBefore: null,
          attempts: 0,
          restarts: 0,
          lastError: null,
          waitingSince: now,
          updatedAt: now,
        }
      : null;

/** Changes a file's priority (1–10) while it is not yet uploaded. */
export const reprioritise =
  (priority: number, now: number): Change =>
  (item) =>
    item.status === 'uploaded' ? null : { priority: clampPriority(priority), updatedAt: now };

/** An item left Uploading by a runner that died goes back to Waiting (the new runner holds the lock). */
export const reclaim =
  (now: number): Change =>
  (item) =>
    item.status === 'uploading'
      ? { status: 'waiting', waitReason: 'queued', waitingSince: now, updatedAt: now }
      : null;

/** The link is back: a retry waiting out a backoff may go now. */
export const forgetBackoff =
  (now: number): Change =>
  (item) =>
    item.status === 'waiting' && item.notBefore !== null
      ? { notBefore: null, waitReason: 'queued', updatedAt: now }
      : null;

/**
 * A file that admission refused waits with its reason, until `retryAt` when there is one; one that
 * was uploading stops at this chunk boundary and keeps what the server holds. A refusal with no
 * `retryAt` waits for a settings change (see `reconsiderAdmission`), not for a time.
 */
export const holdBack =
  (refusal: Extract<Admission, { ok: false }>, now: number): Change =>
  (item) =>
    item.status === 'waiting' || item.status === 'uploading'
      ? {
          status: 'waiting',
          waitReason: refusal.reason,
          notBefore: refusal.retryAt,
          waitingSince: item.waitingSince ?? now,
          updatedAt: now,
        }
      : null;

/** The link settings changed: files held back by a budget, a metered link or Save-Data are asked again. */
export const reconsiderAdmission =
  (now: number): Change =>
  (item) =>
    item.status === 'waiting' && isAdmissionWait(item.waitReason)
      ? { waitReason: 'queued', notBefore: null, updatedAt: now }
      : null;
