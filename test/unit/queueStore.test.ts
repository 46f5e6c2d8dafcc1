import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { IdbQueueStore } from '../../src/shared/db/IdbQueueStore.ts';
import type { QueueStore } from '../../src/shared/queueStore.ts';
import { pause, reprioritise, resume } from '../../src/shared/transitions.ts';
import { type BlobLike, newQueueItem } from '../../src/shared/types.ts';
import { MemoryQueueStore } from './fakes.ts';

let n = 0;

/** Counts every IndexedDB write whose value carries a Blob, at any depth a record can hold one. */
function countIdbBlobWrites() {
  const proto = IDBObjectStore.prototype;
  const original = { put: proto.put, add: proto.add };
  const counter = { writes: 0, restore: () => Object.assign(proto, original) };
  const carriesBlob = (value: unknown): boolean =>
    value instanceof Blob ||
    (typeof value === 'object' && value !== null && Object.values(value).some((v) => carriesBlob(v)));
  for (const method of ['put', 'add'] as const) {
    proto[method] = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (carriesBlob(value)) counter.writes++;
      return original[method].call(this, value, key);
    };
  }
  return counter;
}

let restore: (() => void) | null = null;
afterEach(() => {
  restore?.();
  restore = null;
});

const implementations: [string, () => { store: QueueStore<BlobLike>; blobWrites: () => number }][] = [
  [
    'IdbQueueStore',
    () => {
      const counter = countIdbBlobWrites();
      restore = counter.restore;
      return { store: new IdbQueueStore(`tender-test-${n++}`), blobWrites: () => counter.writes };
    },
  ],
  [
    'MemoryQueueStore',
    () => {
      const store = new MemoryQueueStore();
      return { store, blobWrites: () => store.blobWrites };
    },
  ],
];

const file = (id: string, text = 'hello', keepLocalCopy = false) => {
  const blob = new Blob([text]);
  return { item: newQueueItem({ id, blob, name: `${id}.txt`, keepLocalCopy }, 1), blob };
};

describe.each(implementations)('%s honours the QueueStore contract', (_name, make) => {
  it('stores records and files, reads them back and applies changes', async () => {
    const { store } = make();
    await store.add([file('a'), file('b', 'other')]);
    expect((await store.all()).map((i) => i.id).sort()).toEqual(['a', 'b']);
    const updated = await store.update('a', () => ({ status: 'uploading', bytesConfirmed: 3 }));
    expect(updated).toMatchObject({ id: 'a', name: 'a.txt', status: 'uploading', bytesConfirmed: 3 });
    expect(await store.get('a')).toMatchObject({ status: 'uploading', bytesConfirmed: 3 });
    expect(await ((await store.blob('a')) as Blob).text()).toBe('hello');
    expect((await store.get('a')) as object).not.toHaveProperty('blob');
  });

  it('decides conditional changes against the record as stored', async () => {
    const { store } = make();
    await store.add([file('a')]);
    expect(await store.update('a', pause(5))).toMatchObject({ status: 'paused' });
    // A second pause and a priority change of an uploaded file are declined: nothing changes.
    expect(await store.update('a', pause(6))).toMatchObject({ status: 'paused', updatedAt: 5 });
    expect(await store.update('a', resume(7))).toMatchObject({ status: 'waiting', waitingSince: 7 });
    await store.update('a', () => ({ status: 'uploaded' }));
    expect(await store.update('a', reprioritise(10, 8))).toMatchObject({ priority: 5 });
  });

  it('returns undefined when changing an item that is gone', async () => {
    expect(await make().store.update('missing', () => ({ status: 'failed' }))).toBeUndefined();
  });

  it('adds all files or none', async () => {
    const { store } = make();
    await store.add([file('a', '1')]);
    await expect(store.add([file('b', '3'), file('a', '2')])).rejects.toThrow();
    expect((await store.all()).map((i) => i.id)).toEqual(['a']);
    expect(await store.blob('b')).toBeUndefined();
  });

  it('writes the file once: no change of state writes its bytes again', async () => {
    const { store, blobWrites } = make();
    await store.add([file('video', 'x'.repeat(1000))]);
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
    const { store } = make();
    await store.add([file('a'), file('kept', 'mine', true)]);
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
    const { store } = make();
    await store.add([file('a')]);
    await store.remove('a');
    expect(await store.get('a')).toBeUndefined();
    expect(await store.blob('a')).toBeUndefined();
  });
});

describe('a queue written by the version that kept each Blob inside its record', () => {
  it('is moved over once on open: files into their own store, uploaded files released', async () => {
    const name = `tender-legacy-${n++}`;
    // The layout of database version 2, written as that version wrote it.
    const legacy = await openDB(name, 2, {
      upgrade(db) {
        db.createObjectStore('items', { keyPath: 'id' }).createIndex('by-status', 'status');
        db.createObjectStore('settings');
      },
    });
    const {
      keepLocalCopy: _k,
      releasedAt: _r,
      ...v2
    } = newQueueItem({ id: 'half', blob: new Blob(['0123456789']), name: 'half.mp4' }, 1);
    await legacy.put('items', { ...v2, blob: new Blob(['0123456789']), bytesConfirmed: 4, uploadUrl: 'u1' });
    await legacy.put('items', {
      ...v2,
      id: 'done',
      name: 'done.jpg',
      blob: new Blob(['abc']),
      status: 'uploaded',
      uploadedAt: 2,
    });
    await legacy.put(
      'settings',
      { token: 't', deviceId: 'd', name: 'Deck', enrolledAt: 1, rejectedAt: null },
      'credential',
    );
    legacy.close();

    const store = new IdbQueueStore(name);
    const items = await store.all();
    for (const item of items) expect(item as object).not.toHaveProperty('blob');
    expect(await store.get('half')).toMatchObject({
      status: 'waiting',
      bytesConfirmed: 4,
      uploadUrl: 'u1',
      keepLocalCopy: false,
      releasedAt: null,
    });
    expect(await (await store.blob('half'))?.text()).toBe('0123456789');
    expect(await store.get('done')).toMatchObject({ status: 'uploaded', releasedAt: expect.any(Number) });
    expect(await store.blob('done')).toBeUndefined();
    expect(await store.credential()).toMatchObject({ token: 't', name: 'Deck' });

    // The moved queue keeps working with the new layout: a change writes no Blob.
    const counter = countIdbBlobWrites();
    restore = counter.restore;
    await store.update('half', () => ({ bytesConfirmed: 8 }));
    expect(counter.writes).toBe(0);
  });
});
