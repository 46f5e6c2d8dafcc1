import type { BlobLike, NewFile, QueueItem } from './types.ts';

/**
 * A conditional change of one record: given the record as stored at this instant, the fields to
 * change, or null to leave it as it is. Pure and synchronous, so a store can run it inside the same
 * transaction as its read and write.
 */
export type Change = (current: Readonly<QueueItem>) => Partial<QueueItem> | null;

/**
 * The durable queue: small records of state, and each file's bytes stored once beside them. It is
 * the one writer of queue state: callers say what they want as a `Change`, the store decides against
 * what is stored now. Every write is persisted before its promise resolves.
 */
export interface QueueStore<B extends BlobLike = BlobLike> {
  /** Every record, in no particular order. */
  all(): Promise<QueueItem[]>;
  get(id: string): Promise<QueueItem | undefined>;
  /** Adds records with their files, all or none; the only time a file's bytes are written. */
  add(files: NewFile<B>[]): Promise<void>;
  /**
   * Applies `change` to the stored record atomically: nothing else writes between its read and its
   * write. Resolves to the record afterwards (unchanged when `change` declined), or undefined when
   * the item is gone. Never writes the file's bytes.
   */
  update(id: string, change: Change): Promise<QueueItem | undefined>;
  /** The file's bytes; undefined once released, or when the item is gone. */
  blob(id: string): Promise<B | undefined>;
  /**
   * Drops an uploaded file's bytes from the device and stamps the record `releasedAt`; the record
   * stays for the list. Does nothing unless the item is uploaded and not kept by the user's choice.
   */
  release(id: string, now: number): Promise<QueueItem | undefined>;
  /** Removes the record and the file's bytes. */
  remove(id: string): Promise<void>;
}

/** Applies `change` to one item; resolves to the record only when the change was applied. */
export async function applyChange(
  store: Pick<QueueStore, 'update'>,
  id: string,
  change: Change,
): Promise<QueueItem | undefined> {
  let applied = false;
  const item = await store.update(id, (current) => {
    const patch = change(current);
    applied = patch !== null;
    return patch;
  });
  return applied ? item : undefined;
}

/** True when an uploaded item's bytes may be dropped from the device. */
export function releasable(item: Readonly<QueueItem>): boolean {
  return item.status === 'uploaded' && !item.keepLocalCopy && item.releasedAt === null;
}

/**
 * A write the device's storage refused; nothing it was to change was changed. `full` when the
 * browser said why (QuotaExceededError), or a Node store found its disk full; a disk that fills
 * under Chromium aborts the transaction without saying.
 */
export class StoreWriteError extends Error {
  readonly full: boolean;

  constructor(cause: unknown, full = cause instanceof Error && cause.name === 'QuotaExceededError') {
    super(full ? 'The device is out of storage space' : 'The device refused to save a change', { cause });
    this.name = 'StoreWriteError';
    this.full = full;
  }
}

/** True when the device's storage refused a write (a full disk, the origin's quota, a failing disk). */
export function isRefusedWrite(err: unknown): err is Error {
  return err instanceof StoreWriteError || (err instanceof Error && err.name === 'QuotaExceededError');
}

/** What the crew reads on a row whose progress could not be saved. */
export function refusedWriteMessage(err: Error): string {
  const full = err instanceof StoreWriteError ? err.full : true;
  return full
    ? 'This device is out of storage space, so progress cannot be saved. Nothing queued is lost; free some space and the upload goes on.'
    : 'This device could not save upload progress, most often because its storage is full. Nothing queued is lost; free some space and the upload goes on.';
}
