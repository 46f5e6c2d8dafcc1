// TypeScript's WebWorker lib lacks Background Sync and Periodic Background Sync.
interface SyncManager {
  register(tag: string): Promise<void>;
  getTags(): Promise<string[]>;
}

interface ServiceWorkerRegistration {
  readonly sync?: SyncManager;
}

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  readonly lastChance: boolean;
}

interface ServiceWorkerGlobalScopeEventMap {
  sync: SyncEvent;
  periodicsync: SyncEvent;
}

// tus-js-client declares types for its entry points only; its core modules (see tusCore.ts) are the
// same classes its entry points export.
declare module 'tus-js-client/lib.esm/upload.js' {
  export { Upload as default } from 'tus-js-client';
}
declare module 'tus-js-client/lib.esm/error.js' {
  export { DetailedError as default } from 'tus-js-client';
}
