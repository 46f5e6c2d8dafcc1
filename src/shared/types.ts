/** Where an item is in its life; the page shows these as Waiting, Uploading, Paused, Uploaded, Failed. */
export type UploadStatus = 'waiting' | 'uploading' | 'paused' | 'uploaded' | 'failed';

/** Why a waiting item is not moving yet. */
export type WaitReason = 'queued' | 'offline' | 'backoff' | 'signed-out' | 'runner-stopped';

/** The part of a Blob the core needs; a browser Blob or File satisfies it. */
export interface BlobLike {
  readonly size: number;
  readonly type: string;
  slice(start?: number, end?: number, contentType?: string): BlobLike;
}

/** The part of an AbortSignal the core needs. */
export interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Tags that travel with a file to shore as tus metadata. */
export type UploadTags = Record<string, string>;

/** One file in the durable queue; `B` is the stored Blob type of the environment. */
export interface QueueItem<B extends BlobLike = BlobLike> {
  id: string;
  blob: B;
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
  attempts: number;
  /** How many times the upload was started again from zero because the server lost it. */
  restarts: number;
  lastError: string | null;
  uploadedAt: number | null;
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

/** What the page shows of an item: everything but the Blob. */
export type QueueItemView = Omit<QueueItem, 'blob'>;

/** A fresh queue item for a file the user just added. */
export function newQueueItem<B extends BlobLike>(
  init: { id: string; blob: B; name: string; type?: string; priority?: number; tags?: UploadTags },
  now: number,
): QueueItem<B> {
  return {
    id: init.id,
    blob: init.blob,
    name: init.name,
    type: init.type || init.blob.type || 'application/octet-stream',
    size: init.blob.size,
    createdAt: now,
    updatedAt: now,
    priority: init.priority ?? 5,
    tags: init.tags ?? {},
    status: 'waiting',
    waitReason: 'queued',
    notBefore: null,
    bytesConfirmed: 0,
    uploadUrl: null,
    attempts: 0,
    restarts: 0,
    lastError: null,
    uploadedAt: null,
  };
}
