import type { Change } from '../queueStore.ts';
import type { QueueItem } from '../types.ts';
import { lazyDb } from './QueueDb.ts';

/**
 * What a file's check needs of the queue: its record, the file as added (whatever is sent instead),
 * and the writes that record the check, with Data saver's smaller copy. Used by the hash worker only,
 * which so carries none of the rest of IdbQueueStore.
 */
export class IdbCopyStore {
  readonly #db: ReturnType<typeof lazyDb>;

  constructor(name?: string) {
    this.#db = lazyDb(name);
  }

  async get(id: string): Promise<QueueItem | undefined> {
    return (await this.#db()).get('items', id);
  }

  /** Applies `change` to the record alone, as `QueueStore.update` does. */
  async update(id: string, change: Change): Promise<QueueItem | undefined> {
    return (await this.recordCheck(id, change, undefined)) ?? this.get(id);
  }

  /** The file as added, whatever Data saver made of it. */
  async original(id: string): Promise<Blob | undefined> {
    return (await this.#db()).get('blobs', id);
  }

  /**
   * Applies `change` to the record and, only if it applied, stores `smaller` as the copy to send
   * (written once) or, when null, drops any smaller copy a former choice left (undefined: leaves
   * it): one transaction, so the record never describes bytes the store does not hold. Resolves to
   * the record when applied.
   */
  async recordCheck(
    id: string,
    change: Change,
    smaller: Blob | null | undefined,
  ): Promise<QueueItem | undefined> {
    const tx = (await this.#db()).transaction(['items', 'smaller'], 'readwrite');
    const items = tx.objectStore('items');
    const current = await items.get(id);
    const patch = current ? change(current) : null;
    if (!current || !patch) {
      await tx.done;
      return undefined;
    }
    const next = { ...current, ...patch, id };
    const copies = tx.objectStore('smaller');
    const copy = smaller ? copies.put(smaller, id) : smaller === null ? copies.delete(id) : null;
    await Promise.all([items.put(next), copy, tx.done]);
    return next;
  }
}
