import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { IdbQueueStore } from '../../src/shared/db/IdbQueueStore.ts';
import { newQueueItem } from '../../src/shared/types.ts';
import { MemoryQueueStore } from './fakes.ts';
import { queueStoreContract } from './queueStoreContract.ts';

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

queueStoreContract(
  'IdbQueueStore',
  () => {
    const counter = countIdbBlobWrites();
    restore = counter.restore;
    const name = `tender-test-${n++}`;
    return {
      store: new IdbQueueStore(name),
      blobWrites: () => counter.writes,
      reopen: () => new IdbQueueStore(name),
    };
  },
  { durable: true },
);

queueStoreContract(
  'MemoryQueueStore',
  () => {
    const store = new MemoryQueueStore();
    return { store, blobWrites: () => store.blobWrites };
  },
  { durable: false },
);

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
