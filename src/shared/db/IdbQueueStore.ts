import type { IDBPDatabase } from 'idb';
import type { QueueStore } from '../engine.ts';
import type { DeviceCredential, QueueItem } from '../types.ts';
import { openQueueDb, type TenderDbSchema } from './QueueDb.ts';

/** The durable queue (and this device's credential) in IndexedDB, used by both the page and the worker. */
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

  /** Every item, in no particular order. */
  async all(): Promise<QueueItem<Blob>[]> {
    return (await this.#open()).getAll('items');
  }

  async get(id: string): Promise<QueueItem<Blob> | undefined> {
    return (await this.#open()).get('items', id);
  }

  /** Adds items in one transaction: either all are stored or none is. */
  async add(items: QueueItem<Blob>[]): Promise<void> {
    const tx = (await this.#open()).transaction('items', 'readwrite');
    await Promise.all([...items.map((item) => tx.store.add(item)), tx.done]);
  }

  async update(id: string, patch: Partial<QueueItem<Blob>>): Promise<QueueItem<Blob> | undefined> {
    const tx = (await this.#open()).transaction('items', 'readwrite');
    const current = await tx.store.get(id);
    if (!current) {
      await tx.done;
      return undefined;
    }
    const next = { ...current, ...patch, id };
    await Promise.all([tx.store.put(next), tx.done]);
    return next;
  }

  async remove(id: string): Promise<void> {
    await (await this.#open()).delete('items', id);
  }

  /** This device's credential, if it was enrolled. */
  async credential(): Promise<DeviceCredential | undefined> {
    return (await this.#open()).get('settings', 'credential');
  }

  async setCredential(credential: DeviceCredential): Promise<void> {
    await (await this.#open()).put('settings', credential, 'credential');
  }
}
