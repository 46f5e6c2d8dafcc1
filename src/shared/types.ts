import type { ByteStream } from './blockChecksums.ts';

/** Where an item is in its life; the page shows these as Waiting, Uploading, Paused, Uploaded, Failed. */
export type UploadStatus = 'waiting' | 'uploading' | 'paused' | 'uploaded' | 'failed';

/**
 * Why the link's settings hold a file back (see `admit`): a budget is used up, or the file is too
 * large for a metered link or while the device asks to save data.
 */
export type AdmissionWait = 'budget-day' | 'budget-month' | 'metered' | 'save-data';

/** Why a waiting item is not moving yet. */
/**
 * Why a file waits (or, for `duplicate`, why it was paused): `checking` while an open page hashes
 * it after it was stored, `duplicate` when its content turned out to be queued already.
 */
export type WaitReason =
  | 'queued'
  | 'checking'
  | 'duplicate'
  | 'offline'
  | 'backoff'
  | 'signed-out'
  | 'runner-stopped'
  | AdmissionWait;

/** The part of a Blob the core needs; a browser Blob or File satisfies it. */
export interface BlobLike {
  readonly size: number;
  readonly type: string;
  slice(start?: number, end?: number, contentType?: string): BlobLike;
  stream(): ByteStream;
}

/** The part of an AbortSignal the core needs. */
export interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Tags that travel with a file to shore as tus metadata. */
export type UploadTags = Record<string, string>;

/**
 * What Data saver did with a file: made it smaller (the item's name, type and size are then the
 * smaller copy's, and the original's are kept here to tell the shore), or left it as it was, and why.
 */
export type DownscaleOutcome =
  | {
      applied: true;
      originalName: string;
      originalType: string;
      originalSize: number;
      /** As shown, after EXIF orientation. */
      originalWidth: number;
      originalHeight: number;
      width: number;
      height: number;
    }
  | { applied: false; reason: string };

/**
 * One file in the durable queue: its state only, small and cheap to rewrite. The file's bytes are
 * stored once, apart from it (`QueueStore.blob`), so no state change ever writes them again.
 */
export interface QueueItem {
  id: string;
  name: string;
  type: string;
  size: number;
  createdAt: number;
  updatedAt: number;
  /** 1–10, higher goes first. */
  priority: number;
  tags: UploadTags;
  status: UploadStatus;
  waitReason: WaitReason | null;
  /** Epoch ms before which the item must not be retried (backoff, Retry-After). */
  notBefore: number | null;
  /** Bytes the server has confirmed holding (its Upload-Offset). */
  bytesConfirmed: number;
  uploadUrl: string | null;
  /** Failed attempts that count towards giving up (network drops do not). */
  attempts: number;
  /** Every attempt started, whatever its end. */
  tries: number;
  /** How many times the upload was started again from zero because the server lost it. */
  restarts: number;
  /** SHA-256 (hex) of the whole file, computed when it was added. */
  sha256: string | null;
  /** Request body bytes handed to the network; bytes of a failed request count in full. */
  bytesSent: number;
  /** Time spent waiting (not uploading, not paused), closed periods only. */
  waitingMs: number;
  /** Start of the current waiting period, if the item is waiting. */
  waitingSince: number | null;
  lastError: string | null;
  uploadedAt: number | null;
  /** Keep the file's bytes on this device after the server confirmed them (the user's choice). */
  keepLocalCopy: boolean;
  /** When the file's bytes were removed from this device after upload; the record stays for the list. */
  releasedAt: number | null;
  /** The crew chose Data saver for this file (absent in records stored before it existed: Original). */
  dataSaver?: boolean;
  /** What Data saver did, once the file was checked with it chosen; absent or null before. */
  downscale?: DownscaleOutcome | null;
  /**
   * When this device learnt that shore holds every byte: at upload for a server ashore, when an
   * on-board relay said its forward had ended. Absent (records stored before it existed) or null:
   * not confirmed yet.
   */
  ashoreAt?: number | null;
  /** The server that took the file is an on-board relay, which forwards it ashore; absent until it said. */
  viaRelay?: boolean;
  /** Why the relay has not yet sent the file ashore, in its words; null while it simply queues. */
  relayNote?: string | null;
}

/** This device's own credential, from its enrolment link. */
export interface DeviceCredential {
  token: string;
  deviceId: string | null;
  name: string | null;
  enrolledAt: number;
  /** Set when the server refused the token (revoked): uploads stop until a new enrolment. */
  rejectedAt: number | null;
}

/** A fresh queue record for a file the user just added; `blob` gives its size and default type. */
export function newQueueItem(
  init: {
    id: string;
    blob: BlobLike;
    name: string;
    type?: string;
    priority?: number;
    tags?: UploadTags;
    sha256?: string | null;
    keepLocalCopy?: boolean;
    /** Send a smaller copy of a photo (see dataSaver.ts). */
    dataSaver?: boolean;
    /** Held until then while a page hashes the file (see `stillChecking`). */
    checkingUntil?: number | null;
  },
  now: number,
): QueueItem {
  const checking = init.checkingUntil != null && init.checkingUntil > now;
  return {
    id: init.id,
    name: init.name,
    type: init.type || init.blob.type || 'application/octet-stream',
    size: init.blob.size,
    createdAt: now,
    updatedAt: now,
    priority: init.priority ?? 5,
    tags: init.tags ?? {},
    status: 'waiting',
    waitReason: checking ? 'checking' : 'queued',
    notBefore: checking ? (init.checkingUntil ?? null) : null,
    bytesConfirmed: 0,
    uploadUrl: null,
    attempts: 0,
    tries: 0,
    restarts: 0,
    sha256: init.sha256 ?? null,
    bytesSent: 0,
    waitingMs: 0,
    waitingSince: now,
    lastError: null,
    uploadedAt: null,
    keepLocalCopy: init.keepLocalCopy ?? false,
    releasedAt: null,
    dataSaver: init.dataSaver ?? false,
    downscale: null,
  };
}

/** A file being added to the queue: its record and its bytes, stored together once. */
export interface NewFile<B extends BlobLike = BlobLike> {
  item: QueueItem;
  blob: B;
}

/** Bytes sent but not kept by the server: what drops and retries cost. */
export function bytesWasted(item: Pick<QueueItem, 'bytesSent' | 'bytesConfirmed'>): number {
  return Math.max(0, item.bytesSent - item.bytesConfirmed);
}

/** Total waiting time up to `now`, including the current waiting period. */
export function waitedMs(item: Pick<QueueItem, 'waitingMs' | 'waitingSince'>, now: number): number {
  return item.waitingMs + (item.waitingSince !== null ? Math.max(0, now - item.waitingSince) : 0);
}

/** Clamps a priority to 1–10. */
export function clampPriority(priority: number): number {
  return Math.min(10, Math.max(1, Math.round(priority) || 5));
}

/** Priority at or above which a file jumps ahead of a running upload at the next chunk boundary. */
export const CRITICAL_PRIORITY = 9;
