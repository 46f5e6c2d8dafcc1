import { cleanTags } from './addDefaults.ts';
import { type Admission, isAdmissionWait } from './admission.ts';
import { dataSaverEditable, smallerName } from './dataSaver.ts';
import type { Change } from './queueStore.ts';
import type { ShoreStage } from './shoreStage.ts';
import { clampPriority, type DownscaleOutcome, type QueueItem, type UploadTags, waitedMs } from './types.ts';

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

/**
 * Changes a file's tags while they can still reach shore: they travel as tus metadata when the
 * upload is created, so only before that.
 */
export const retag =
  (tags: UploadTags, now: number): Change =>
  (item) =>
    item.uploadUrl === null && item.status !== 'uploaded' && item.status !== 'uploading'
      ? { tags: cleanTags(tags), updatedAt: now }
      : null;

/** An item left Uploading by a runner that died goes back to Waiting (the new runner holds the lock). */
export const reclaim =
  (now: number): Change =>
  (item) =>
    item.status === 'uploading'
      ? { status: 'waiting', waitReason: 'queued', waitingSince: now, updatedAt: now }
      : null;

/** The link is back: a retry waiting out a backoff may go now (a file being checked stays held). */
export const forgetBackoff =
  (now: number): Change =>
  (item) =>
    item.status === 'waiting' && item.notBefore !== null && item.waitReason !== 'checking'
      ? { notBefore: null, waitReason: 'queued', updatedAt: now }
      : null;

/**
 * The device stored the file but cannot read it back (a browser fault): it fails at once with a
 * reason to add it again, before any upload; the picked original is untouched on the device.
 */
export const unreadableCopy =
  (now: number): Change =>
  (item) =>
    item.uploadUrl === null && item.status === 'waiting'
      ? {
          status: 'failed',
          waitReason: null,
          notBefore: null,
          lastError: 'This device could not read back the copy it stored. Remove this file and add it again.',
          waitingMs: waitedMs(item, now),
          waitingSince: null,
          updatedAt: now,
        }
      : null;

/** Not yet started and not yet hashed: what a page may check before the upload begins. */
const uncheckedAndUnsent = (item: QueueItem) =>
  item.sha256 === null && item.uploadUrl === null && item.status === 'waiting';

/**
 * A page is hashing the file: it waits until `until` unless the page says more. Only a file that
 * waits in line or is being checked already; one in a backoff or held by a budget keeps its reason.
 */
export const stillChecking =
  (until: number, now: number): Change =>
  (item) =>
    uncheckedAndUnsent(item) && (item.waitReason === 'queued' || item.waitReason === 'checking')
      ? { waitReason: 'checking', notBefore: until, updatedAt: now }
      : null;

/** The Data saver choice a check was made under, and what came of it (the smaller copy's size when made). */
export interface CheckedAs {
  dataSaver: boolean;
  downscale: DownscaleOutcome | null;
  smallerSize: number | null;
}

/**
 * The file's hash is known: it is recorded, and the file goes in line, or, when `duplicate` (the
 * same content is queued or uploaded already), it is paused so that no satellite byte goes on it
 * before someone says so. Declined once the upload has started without it, or when the crew changed
 * the file's Data saver choice while it was checked. With `as`, what Data saver made of it: a
 * smaller copy becomes what the item sends (its name, type and size), the original's kept for shore.
 */
export const checked =
  (sha256: string, duplicate: boolean, now: number, as?: CheckedAs): Change =>
  (item) => {
    if (item.sha256 !== null || item.uploadUrl !== null) return null;
    if (as && ((item.dataSaver ?? false) !== as.dataSaver || item.downscale)) return null;
    const d = as?.downscale;
    const sent = d?.applied
      ? { name: smallerName(item.name), type: 'image/jpeg', size: as?.smallerSize ?? item.size }
      : {};
    const record = { sha256, ...sent, ...(d ? { downscale: d } : {}) };
    if (item.status !== 'waiting' || item.waitReason !== 'checking') return { ...record, updatedAt: now };
    if (!duplicate) return { ...record, waitReason: 'queued', notBefore: null, updatedAt: now };
    return {
      ...record,
      status: 'paused',
      waitReason: 'duplicate',
      notBefore: null,
      waitingMs: waitedMs(item, now),
      waitingSince: null,
      updatedAt: now,
    };
  };

/**
 * A file's check failed (it could not be read here; the upload reads the same bytes and says so on
 * the row if it cannot): it goes in line unhashed, and a Data saver photo says it is sent as it is
 * rather than wait for a smaller copy that will not come.
 */
export const checkFailed =
  (why: string, now: number): Change =>
  (item) =>
    item.status === 'waiting' && item.waitReason === 'checking'
      ? {
          waitReason: 'queued',
          notBefore: null,
          updatedAt: now,
          ...(item.dataSaver
            ? { downscale: { applied: false, reason: `Not checked (${why}): sent as it is.` } }
            : {}),
        }
      : null;

/**
 * The crew changed a file's Data saver choice before any byte of it was sent: the file goes back to
 * its original's name, type and size, and is checked again (held until `holdUntil`, for a page to
 * check it) under the new choice. A copy paused as a duplicate waits again, as its content changes.
 */
export const chooseDataSaver =
  (on: boolean, holdUntil: number, now: number): Change =>
  (item) => {
    if (!dataSaverEditable(item) || (item.dataSaver ?? false) === on) return null;
    const d = item.downscale;
    const original = d?.applied ? { name: d.originalName, type: d.originalType, size: d.originalSize } : {};
    const waits =
      (item.status === 'waiting' && (item.waitReason === 'queued' || item.waitReason === 'checking')) ||
      item.waitReason === 'duplicate';
    const check = waits
      ? { status: 'waiting' as const, waitReason: 'checking' as const, notBefore: holdUntil }
      : {};
    const since = item.waitingSince ?? now;
    return {
      ...original,
      ...check,
      waitingSince: waits ? since : item.waitingSince,
      dataSaver: on,
      downscale: null,
      sha256: null,
      updatedAt: now,
    };
  };

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

/**
 * What the server said of an uploaded file's way ashore. A server ashore holds it ashore since it
 * was uploaded; an on-board relay says it is ashore, marked at `now`, when this device learnt it
 * (the relay's own time may be from before this worker started, and the crew are told of files by
 * when they learnt of them), or why it is still on board (written only when that changed, so a
 * check that learns nothing writes nothing). Declined once the file is known to be ashore: that
 * never goes back.
 */
export const reachedShore =
  (said: ShoreStage, now: number): Change =>
  (item) => {
    if (item.status !== 'uploaded' || item.ashoreAt != null) return null;
    if (!said.relay)
      return { ashoreAt: item.uploadedAt ?? now, viaRelay: false, relayNote: null, updatedAt: now };
    if (said.stage === 'ashore') return { ashoreAt: now, viaRelay: true, relayNote: null, updatedAt: now };
    const note =
      said.stage === 'failed'
        ? `the relay stopped sending it${said.reason ? ` (${said.reason})` : ''}; tell whoever runs it`
        : said.reason;
    if (item.viaRelay === true && (item.relayNote ?? null) === note) return null;
    return { viaRelay: true, relayNote: note, updatedAt: now };
  };
