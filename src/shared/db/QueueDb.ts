import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames } from 'idb';
import type { AddDefaults } from '../addDefaults.ts';
import type { LinkSnapshot } from '../linkEstimator.ts';
import type { LinkSettings } from '../linkSettings.ts';
import type { DaySpend } from '../spendLedger.ts';
import type { DeviceCredential, QueueItem } from '../types.ts';

/** The queue's IndexedDB schema; this file is the only one that knows the stores. */
export interface TenderDbSchema extends DBSchema {
  /** Small records of state, rewritten on every change. */
  items: {
    key: string;
    value: QueueItem;
    indexes: { 'by-status': string };
  };
  /** Each file's bytes, keyed by its item's id: written once when added, deleted when released or removed. */
  blobs: {
    key: string;
    value: Blob;
  };
  /**
   * The smaller copy Data saver made of a photo, keyed by its item's id: written once when made, sent
   * instead of the original in `blobs` (kept until upload, so the crew can still choose the original),
   * deleted with it.
   */
  smaller: {
    key: string;
    value: Blob;
  };
  /**
   * Small records by name: 'credential' (IdbQueueStore), 'link-settings', 'persist-refused-at' (a
   * time) and the like (IdbSettingsStore) and one
   * 'spend:YYYY-MM-DD' per local day (IdbSpendStore). Each owner reads its own keys back as its type.
   */
  settings: {
    key: string;
    value: DeviceCredential | LinkSettings | DaySpend | LinkSnapshot | AddDefaults | number;
  };
}

export const DB_NAME = 'tender';
export const DB_VERSION = 4;

/** Opens (and upgrades) the queue database. Migrations only add, and move. */
export function openQueueDb(name: string = DB_NAME): Promise<IDBPDatabase<TenderDbSchema>> {
  return openDB<TenderDbSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      // Each step adds; never delete a store here, or a user's queued files go with it.
      if (oldVersion < 1) {
        const items = db.createObjectStore('items', { keyPath: 'id' });
        items.createIndex('by-status', 'status');
      }
      if (oldVersion < 2) {
        db.createObjectStore('settings');
      }
      if (oldVersion < 3) {
        db.createObjectStore('blobs');
        if (oldVersion > 0) void moveBlobsOut(tx, Date.now());
      }
      if (oldVersion < 4) {
        db.createObjectStore('smaller');
      }
    },
    blocking(_current, _next, event) {
      // A newer version of the app wants to upgrade: let it.
      (event.target as IDBDatabase | null)?.close();
    },
  });
}

/**
 * Opens the database on first use and again after it was closed (e.g. for a newer version); for
 * stores that keep one connection per instance.
 */
export function lazyDb(name?: string): () => Promise<IDBPDatabase<TenderDbSchema>> {
  let db: Promise<IDBPDatabase<TenderDbSchema>> | null = null;
  return () => {
    if (!db) {
      const opening = openQueueDb(name);
      db = opening;
      opening.then((open) => open.addEventListener('close', () => (db = null))).catch(() => (db = null));
    }
    return db;
  };
}

/** A record as version 2 stored it: the file's Blob inside, rewritten with every change of state. */
type LegacyItem = QueueItem & { blob?: Blob };

/**
 * Moves each file's Blob out of its record into `blobs`, once, inside the upgrade transaction (all or
 * nothing), and gives old records the fields they lacked. Files the server already holds are not
 * moved but released, as a new upload's are.
 */
async function moveBlobsOut(
  tx: IDBPTransaction<TenderDbSchema, StoreNames<TenderDbSchema>[], 'versionchange'>,
  now: number,
): Promise<void> {
  const blobs = tx.objectStore('blobs');
  let cursor = await tx.objectStore('items').openCursor();
  while (cursor) {
    const { blob, ...item } = cursor.value as LegacyItem;
    const uploaded = item.status === 'uploaded';
    if (blob && !uploaded) await blobs.put(blob, item.id);
    await cursor.update({ ...item, keepLocalCopy: false, releasedAt: uploaded ? now : null });
    cursor = await cursor.continue();
  }
}
