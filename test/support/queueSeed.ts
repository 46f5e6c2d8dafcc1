/// <reference lib="dom" />
// The writer runs in the page; the bench compiles this file without the DOM library otherwise.
import type { Page } from 'playwright-core';
import { newQueueItem, type QueueItem, type UploadStatus } from '../../src/shared/types.ts';

/** A queued file's bytes to store beside its record: a few bytes stand in for the file. */
export interface SeedBlob {
  id: string;
  type: string;
  size: number;
}

/** A long queue as crew build one over weeks: records made by the app's own constructor, and the bytes that stay. */
export interface SeedQueue {
  items: QueueItem[];
  blobs: SeedBlob[];
  /** Names in the order the list shows them (priority, then oldest first). */
  names: string[];
}

const KINDS = [
  { ext: 'jpg', type: 'image/jpeg', size: 4_200_000 },
  { ext: 'pdf', type: 'application/pdf', size: 380_000 },
  { ext: 'mp4', type: 'video/mp4', size: 86_000_000 },
  { ext: 'txt', type: 'text/plain', size: 12_000 },
] as const;

/**
 * `count` queue records: six in ten uploaded and released from the device, one failed, one paused,
 * two waiting for the link; all of priority 5, a second apart, so the list shows them in the order
 * made. Each has a whole-file digest, as files picked in the app do, so the page has nothing to hash.
 */
export function seedQueue(count: number, now: number): SeedQueue {
  const items: QueueItem[] = [];
  const blobs: SeedBlob[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length] as (typeof KINDS)[number];
    const id = `seed-${String(i).padStart(6, '0')}`;
    const size = kind.size + i;
    const createdAt = now - (count - i) * 1000;
    const blob = { size, type: kind.type, slice: () => blob, stream: () => new ReadableStream<Uint8Array>() };
    const name = `file-${String(i + 1).padStart(4, '0')}.${kind.ext}`;
    const base = newQueueItem({ id, blob, name, sha256: i.toString(16).padStart(64, '0') }, createdAt);
    const slot = i % 10;
    const status: UploadStatus =
      slot < 6 ? 'uploaded' : slot === 6 ? 'failed' : slot === 7 ? 'paused' : 'waiting';
    const item: QueueItem = {
      ...base,
      status,
      waitReason: status === 'waiting' ? 'offline' : null,
      waitingSince: status === 'waiting' ? createdAt : null,
      tries: status === 'waiting' ? 0 : 1,
      bytesSent: status === 'uploaded' ? size : 0,
      bytesConfirmed: status === 'uploaded' ? size : 0,
      uploadedAt: status === 'uploaded' ? createdAt + 500 : null,
      releasedAt: status === 'uploaded' ? createdAt + 500 : null,
      lastError: status === 'failed' ? 'The server refused this file: too large (413).' : null,
    };
    items.push(item);
    if (status !== 'uploaded') blobs.push({ id, type: kind.type, size: 16 });
  }
  return { items, blobs, names: items.map((i) => i.name) };
}

/**
 * Writes the records and their bytes into the app's IndexedDB as its store adds files (`items` and
 * `blobs`, one transaction). The app must have opened its database once in this origin.
 */
export async function writeSeed(page: Pick<Page, 'evaluate'>, seed: SeedQueue): Promise<void> {
  await page.evaluate(
    ({ items, blobs }) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('tender');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['items', 'blobs'], 'readwrite');
          for (const item of items) tx.objectStore('items').put(item);
          for (const b of blobs)
            tx.objectStore('blobs').put(new Blob([new Uint8Array(b.size)], { type: b.type }), b.id);
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { items: seed.items, blobs: seed.blobs },
  );
}
