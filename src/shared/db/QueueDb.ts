import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { DeviceCredential, QueueItem } from '../types.ts';

/** The queue's IndexedDB schema; this file is the only one that knows the stores. */
export interface TenderDbSchema extends DBSchema {
  items: {
    key: string;
    value: QueueItem<Blob>;
    indexes: { 'by-status': string };
  };
  settings: {
    key: 'credential';
    value: DeviceCredential;
  };
}

export const DB_NAME = 'tender';
export const DB_VERSION = 2;

/** Opens (and upgrades) the queue database. Migrations only add. */
export function openQueueDb(name: string = DB_NAME): Promise<IDBPDatabase<TenderDbSchema>> {
  return openDB<TenderDbSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      // Each step adds; never delete a store here, or a user's queued files go with it.
      if (oldVersion < 1) {
        const items = db.createObjectStore('items', { keyPath: 'id' });
        items.createIndex('by-status', 'status');
      }
      if (oldVersion < 2) {
        db.createObjectStore('settings');
      }
    },
    blocking(_current, _next, event) {
      // A newer version of the app wants to upgrade: let it.
      (event.target as IDBDatabase | null)?.close();
    },
  });
}
