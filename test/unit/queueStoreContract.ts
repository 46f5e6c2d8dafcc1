import { describe, expect, it } from 'vitest';
import type { QueueStore } from '../../src/shared/queueStore.ts';
import { pause, reprioritise, resume } from '../../src/shared/transitions.ts';
import { type BlobLike, newQueueItem } from '../../src/shared/types.ts';

/** A fresh, empty store to test, with a count of the file writes it has made. */
export interface StoreUnderTest {
  store: QueueStore<BlobLike>;
  /** How many times a file's bytes were written, counted from outside the store. */
  blobWrites(): number;
  /** Another store over the same storage, as a second connection or a restarted process opens it. */
  reopen?(): QueueStore<BlobLike>;
}

/** A queue record and its file's bytes, as the app adds them. */
export const queuedFile = (id: string, text = 'hello', keepLocalCopy = false) => {
  const blob = new Blob([text]);
  return { item: newQueueItem({ id, blob, name: `${id}.txt`, keepLocalCopy }, 1), blob };
};

const text = async (blob: BlobLike | undefined) => (blob as Blob | undefined)?.text();

/**
 * What every QueueStore must do, whatever it stores in (IndexedDB in the worker, SQLite in Node):
 * the engine and the page rely on exactly this. `durable` stores are also reopened over the same
 * storage and must give everything back.
 */
export function queueStoreContract(
  name: string,
  make: () => StoreUnderTest | Promise<StoreUnderTest>,
  { durable }: { durable: boolean },
): void {
  describe(`${name} honours the QueueStore contract`, () => {
    it('stores records and files, reads them back and applies changes', async () => {
      const { store } = await make();
      await store.add([queuedFile('a'), queuedFile('b', 'other')]);
      expect((await store.all()).map((i) => i.id).sort()).toEqual(['a', 'b']);
      const updated = await store.update('a', () => ({ status: 'uploading', bytesConfirmed: 3 }));
      expect(updated).toMatchObject({ id: 'a', name: 'a.txt', status: 'uploading', bytesConfirmed: 3 });
      expect(await store.get('a')).toMatchObject({ status: 'uploading', bytesConfirmed: 3 });
      expect(await text(await store.blob('a'))).toBe('hello');
      expect((await store.get('a')) as object).not.toHaveProperty('blob');
    });

    it('decides conditional changes against the record as stored', async () => {
      const { store } = await make();
      await store.add([queuedFile('a')]);
      expect(await store.update('a', pause(5))).toMatchObject({ status: 'paused' });
      // A second pause and a priority change of an uploaded file are declined: nothing changes.
      expect(await store.update('a', pause(6))).toMatchObject({ status: 'paused', updatedAt: 5 });
      expect(await store.update('a', resume(7))).toMatchObject({ status: 'waiting', waitingSince: 7 });
      await store.update('a', () => ({ status: 'uploaded' }));
      expect(await store.update('a', reprioritise(10, 8))).toMatchObject({ priority: 5 });
    });

    it('applies changes made at once one after another, each against what the last one left', async () => {
      const { store, reopen } = await make();
      await store.add([queuedFile('a')]);
      // Two connections where the store has them (the worker and a page; a relay and its CLI).
      const other = reopen?.() ?? store;
      const changes = Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? other : store).update('a', (current) => ({ tries: current.tries + 1 })),
      );
      await Promise.all(changes);
      expect(await store.get('a')).toMatchObject({ tries: 20 });
    });

    it('returns undefined when changing an item that is gone', async () => {
      const { store } = await make();
      expect(await store.update('missing', () => ({ status: 'failed' }))).toBeUndefined();
    });

    it('adds all files or none', async () => {
      const { store } = await make();
      await store.add([queuedFile('a', '1')]);
      await expect(store.add([queuedFile('b', '3'), queuedFile('a', '2')])).rejects.toThrow();
      expect((await store.all()).map((i) => i.id)).toEqual(['a']);
      expect(await store.blob('b')).toBeUndefined();
      expect(await text(await store.blob('a'))).toBe('1');
    });

    it('writes the file once: no change of state writes its bytes again', async () => {
      const { store, blobWrites } = await make();
      await store.add([queuedFile('video', 'x'.repeat(1000))]);
      expect(blobWrites()).toBe(1);
      await store.update('video', () => ({ status: 'uploading', tries: 1 }));
      for (let offset = 100; offset <= 1000; offset += 100)
        await store.update('video', (c) => ({ bytesConfirmed: offset, bytesSent: c.bytesSent + 100 }));
      await store.update('video', pause(2));
      await store.update('video', resume(3));
      await store.update('video', reprioritise(9, 4));
      await store.update('video', () => ({ status: 'uploaded', uploadedAt: 5 }));
      await store.release('video', 6);
      expect(blobWrites()).toBe(1);
    });

    it('releases an uploaded file’s bytes, keeps its record, and keeps a copy the user asked for', async () => {
      const { store } = await make();
      await store.add([queuedFile('a'), queuedFile('kept', 'mine', true)]);
      // Not yet uploaded: nothing is released.
      expect(await store.release('a', 9)).toMatchObject({ releasedAt: null });
      expect(await store.blob('a')).toBeDefined();
      for (const id of ['a', 'kept']) await store.update(id, () => ({ status: 'uploaded', uploadedAt: 10 }));
      expect(await store.release('a', 11)).toMatchObject({ status: 'uploaded', releasedAt: 11 });
      expect(await store.blob('a')).toBeUndefined();
      expect(await store.release('kept', 11)).toMatchObject({ releasedAt: null });
      expect((await store.blob('kept'))?.size).toBe(4);
    });

    it('removes the record and the file together', async () => {
      const { store } = await make();
      await store.add([queuedFile('a')]);
      await store.remove('a');
      expect(await store.get('a')).toBeUndefined();
      expect(await store.blob('a')).toBeUndefined();
    });

    if (durable) {
      it('gives every record, change and file back when opened again', async () => {
        const { store, reopen } = await make();
        await store.add([queuedFile('a', 'first'), queuedFile('b', 'second')]);
        await store.update('a', () => ({ status: 'uploading', bytesConfirmed: 3, uploadUrl: 'u1' }));
        await store.remove('b');
        const again = reopen?.();
        expect(again).toBeDefined();
        expect(await again?.all()).toEqual(await store.all());
        expect(await again?.get('a')).toMatchObject({ bytesConfirmed: 3, uploadUrl: 'u1' });
        expect(await text(await again?.blob('a'))).toBe('first');
        expect(await again?.get('b')).toBeUndefined();
      });
    }
  });
}
