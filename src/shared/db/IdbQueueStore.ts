import type { IDBPDatabase } from 'idb';
import { type Change, type QueueStore, releasable, StoreWriteError } from '../queueStore.ts';
import type { DeviceCredential, NewFile, QueueItem } from '../types.ts';
import { openQueueDb, type TenderDbSchema } from './QueueDb.ts';

/** Waits for a write transaction to commit; a refused one throws StoreWriteError with the reason. */
async function committed(
  tx: { done: Promise<void>; error: DOMException | null },
  writes: Promise<unknown>[],
) {
  try {
    await Promise.all([...writes, tx.done]);
  } catch (err) {
    // A request rejects as soon as the transaction aborts; its reason is set by the abort event.
    const aborted = await tx.done.then(
      () => null,
      (reason: unknown) => reason,
    );
    throw new StoreWriteError(tx.error ?? aborted ?? err);
  }
}

/**
 * The durable queue (and this device's credential) in IndexedDB, used by both the page and the
 * worker. Records and file bytes live in separate stores: browsers write a stored Blob out as a new
 * file each time its record is put, so a Blob inside a record that changes with every chunk would be
 * copied again and again.
 */
export class IdbQueueStore implements QueueStore<Blob> {
  #db: Promise<IDBPDatabase<TenderDbSchema>> | null = null;
  readonly #name: string | undefined;

  constructor(name?: string) {
    this.#name = name;
  }

  #open(): Promise<IDBPDatabase<TenderDbSchema>> {
    if (!this.#db) {
      const opening = openQueueDb(this.#name);
      this.#db = opening;
      opening
        .then((db) => db.addEventListener('close', () => (this.#db = null)))
        .catch(() => (this.#db = null));
    }
    return this.#db;
  }

  async all(): Promise<QueueItem[]> {
    return (await this.#open()).getAll('items');
  }

  async get(id: string): Promise<QueueItem | undefined> {
    return (await this.#open()).get('items', id);
  }

  async add(files: NewFile<Blob>[]): Promise<void> {
    const tx = (await this.#open()).transaction(['items', 'blobs'], 'readwrite');
    const items = tx.objectStore('items');
    const blobs = tx.objectStore('blobs');
    await committed(
      tx,
      files.flatMap(({ item, blob }) => [items.add(item), blobs.add(blob, item.id)]),
    );
  }

  async update(id: string, change: Change): Promise<QueueItem | undefined> {
    const tx = (await this.#open()).transaction('items', 'readwrite');
    const current = await tx.store.get(id);
    const patch = current ? change(current) : null;
    if (!current || !patch) {
      await tx.done;
      return current;
    }
    const next = { ...current, ...patch, id };
    await committed(tx, [tx.store.put(next)]);
    return next;
  }

  /** The bytes to send: Data saver's smaller copy when the record says one was made, else the file as added. */
  async blob(id: string): Promise<Blob | undefined> {
    const tx = (await this.#open()).transaction(['items', 'blobs', 'smaller'], 'readonly');
    const item = await tx.objectStore('items').get(id);
    return tx.objectStore(item?.downscale?.applied ? 'smaller' : 'blobs').get(id);
  }

  async release(id: string, now: number): Promise<QueueItem | undefined> {
    const tx = (await this.#open()).transaction(['items', 'blobs', 'smaller'], 'readwrite');
    const items = tx.objectStore('items');
    const current = await items.get(id);
    if (!current || !releasable(current)) {
      await tx.done;
      return current;
    }
    const next = { ...current, releasedAt: now };
    await committed(tx, [
      items.put(next),
      tx.objectStore('blobs').delete(id),
      tx.objectStore('smaller').delete(id),
    ]);
    return next;
  }

  async remove(id: string): Promise<void> {
    const tx = (await this.#open()).transaction(['items', 'blobs', 'smaller'], 'readwrite');
    await committed(tx, [
      tx.objectStore('items').delete(id),
      tx.objectStore('blobs').delete(id),
      tx.objectStore('smaller').delete(id),
    ]);
  }

  /** This device's credential, if it was enrolled. */
  async credential(): Promise<DeviceCredential | undefined> {
    return (await (await this.#open()).get('settings', 'credential')) as DeviceCredential | undefined;
  }

  async setCredential(credential: DeviceCredential): Promise<void> {
    await (await this.#open()).put('settings', credential, 'credential');
  }

  /** Forgets this device's credential (signing out); queued files stay. */
  async clearCredential(): Promise<void> {
    await (await this.#open()).delete('settings', 'credential');
  }
}
