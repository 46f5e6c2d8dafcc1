import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IdbCopyStore } from '../../src/shared/db/IdbCopyStore.ts';
import { IdbQueueStore } from '../../src/shared/db/IdbQueueStore.ts';
import { openQueueDb } from '../../src/shared/db/QueueDb.ts';
import { checked, chooseDataSaver, pause } from '../../src/shared/transitions.ts';
import { type DownscaleOutcome, newQueueItem } from '../../src/shared/types.ts';

/*
 * Data saver's smaller copy in IndexedDB: written once, sent instead of the original while the record
 * says so, dropped in the same write that switches the file back, and gone with the file.
 */

const NOW = 1_000_000;
let n = 0;

/** Smaller copies stored, read straight from the database. */
async function smallerCopies(name: string): Promise<number> {
  const db = await openQueueDb(name);
  try {
    return await db.count('smaller');
  } finally {
    db.close();
  }
}

async function photoQueued() {
  const name = `copies-${++n}`;
  const queue = new IdbQueueStore(name);
  const copies = new IdbCopyStore(name);
  const original = new Blob([new Uint8Array(10_000).fill(1)], { type: 'image/png' });
  const item = newQueueItem(
    { id: 'p', blob: original, name: 'pump.png', dataSaver: true, checkingUntil: NOW + 15_000 },
    NOW,
  );
  await queue.add([{ item, blob: original }]);
  return { queue, copies, original, dbName: name };
}

const made: DownscaleOutcome = {
  applied: true,
  originalName: 'pump.png',
  originalType: 'image/png',
  originalSize: 10_000,
  originalWidth: 8000,
  originalHeight: 6000,
  width: 2048,
  height: 1536,
};
const smaller = new Blob([new Uint8Array(700).fill(2)], { type: 'image/jpeg' });
const as = { dataSaver: true, downscale: made, smallerSize: smaller.size };

/** Bytes of a stored Blob, to tell the copies apart by content. */
const bytes = async (blob: Blob | undefined) =>
  new Uint8Array((await blob?.arrayBuffer()) ?? new ArrayBuffer(0));

describe('the smaller copy of a Data saver photo', () => {
  it('is what the file sends once recorded, the original kept beside it', async () => {
    const { queue, copies } = await photoQueued();
    const recorded = await copies.recordCheck('p', checked('ab', false, NOW, as), smaller);
    expect(recorded).toMatchObject({ name: 'pump.jpg', type: 'image/jpeg', size: 700, sha256: 'ab' });
    expect(await bytes(await queue.blob('p'))).toEqual(new Uint8Array(700).fill(2));
    expect((await copies.original('p'))?.size).toBe(10_000);
    // A change of state afterwards leaves both copies as they are.
    await queue.update('p', pause(NOW + 1));
    expect((await queue.blob('p'))?.size).toBe(700);
  });

  it('is not written when the check is declined (the crew changed their choice meanwhile)', async () => {
    const { queue, copies } = await photoQueued();
    await queue.update('p', () => ({ dataSaver: false }));
    expect(await copies.recordCheck('p', checked('ab', false, NOW, as), smaller)).toBeUndefined();
    expect((await queue.blob('p'))?.size).toBe(10_000);
    expect((await queue.get('p'))?.sha256).toBeNull();
  });

  it('is dropped in the same write that sends the original again', async () => {
    const { queue, copies, dbName } = await photoQueued();
    await copies.recordCheck('p', checked('ab', false, NOW, as), smaller);
    expect(await smallerCopies(dbName)).toBe(1);
    const back = await copies.recordCheck('p', chooseDataSaver(false, NOW + 15_000, NOW), null);
    expect(back).toMatchObject({ name: 'pump.png', type: 'image/png', size: 10_000, sha256: null });
    expect((await queue.blob('p'))?.size).toBe(10_000);
    expect(await smallerCopies(dbName)).toBe(0);
  });

  it('goes with the file when it is released after upload or removed', async () => {
    const { queue, copies, dbName } = await photoQueued();
    await copies.recordCheck('p', checked('ab', false, NOW, as), smaller);
    await queue.update('p', () => ({ status: 'uploaded' }));
    await queue.release('p', NOW + 5);
    expect(await queue.blob('p')).toBeUndefined();
    expect(await copies.original('p')).toBeUndefined();
    expect(await smallerCopies(dbName)).toBe(0);
    const other = await photoQueued();
    await other.copies.recordCheck('p', checked('ab', false, NOW, as), smaller);
    await other.queue.remove('p');
    expect(await other.queue.get('p')).toBeUndefined();
    expect(await smallerCopies(other.dbName)).toBe(0);
  });
});
