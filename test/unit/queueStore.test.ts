import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IdbQueueStore } from '../../src/shared/db/IdbQueueStore.ts';
import { newQueueItem } from '../../src/shared/types.ts';
import { MemoryQueueStore } from './fakes.ts';

let n = 0;
const implementations = [
  ['IdbQueueStore', () => new IdbQueueStore(`tender-test-${n++}`)],
  ['MemoryQueueStore', () => new MemoryQueueStore()],
] as const;

describe.each(implementations)('%s honours the QueueStore contract', (_name, make) => {
  const item = (id: string) => newQueueItem({ id, blob: new Blob(['hello']), name: `${id}.txt` }, 1);

  it('stores, reads back and merges updates', async () => {
    const store = make();
    if (store instanceof IdbQueueStore) await store.add([item('a'), item('b')]);
    else for (const i of [item('a'), item('b')]) store.items.set(i.id, i);
    expect((await store.all()).map((i) => i.id).sort()).toEqual(['a', 'b']);
    const updated = await store.update('a', { status: 'uploading', bytesConfirmed: 3 });
    expect(updated).toMatchObject({ id: 'a', name: 'a.txt', status: 'uploading', bytesConfirmed: 3 });
    expect(await store.get('a')).toMatchObject({ status: 'uploading', bytesConfirmed: 3 });
    expect((await store.get('a'))?.blob.size).toBe(5);
  });

  it('returns undefined when updating an item that is gone', async () => {
    expect(await make().update('missing', { status: 'failed' })).toBeUndefined();
  });
});

describe('IdbQueueStore.add', () => {
  it('adds all files or none', async () => {
    const store = new IdbQueueStore(`tender-test-${n++}`);
    const a = newQueueItem({ id: 'a', blob: new Blob(['1']), name: 'a' }, 1);
    await store.add([a]);
    const dup = newQueueItem({ id: 'a', blob: new Blob(['2']), name: 'again' }, 1);
    const b = newQueueItem({ id: 'b', blob: new Blob(['3']), name: 'b' }, 1);
    await expect(store.add([b, dup])).rejects.toThrow();
    expect((await store.all()).map((i) => i.id)).toEqual(['a']);
  });
});
