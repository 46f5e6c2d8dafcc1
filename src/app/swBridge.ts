import { CHANNEL_NAME, type PageMessage, SYNC_TAG, type WorkerMessage } from '../shared/messages.ts';

/**
 * Registers the service worker; `onUpdate` is called when a new version waits to take over.
 * workbox-window is fetched after the first paint: the uploads screen does not need it to show.
 */
export function registerWorker(onUpdate: (apply: () => void) => void): void {
  if (!('serviceWorker' in navigator)) return;
  void import('workbox-window').then(({ Workbox }) => {
    const wb = new Workbox('/sw.js');
    wb.addEventListener('waiting', () => {
      onUpdate(() => {
        wb.addEventListener('controlling', () => window.location.reload());
        wb.messageSkipWaiting();
      });
    });
    return wb.register().then(registerPeriodicSync);
  });
}

/** Where the browser grants it (installed, engaged apps in Chromium), also wake up every 15 minutes. */
async function registerPeriodicSync(): Promise<void> {
  try {
    const status = await navigator.permissions.query({ name: 'periodic-background-sync' as PermissionName });
    if (status.state !== 'granted') return;
    const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & {
      periodicSync?: { register(tag: string, options: { minInterval: number }): Promise<void> };
    };
    await reg.periodicSync?.register(SYNC_TAG, { minInterval: 15 * 60 * 1000 });
  } catch {
    // Not supported here: Background Sync and page visits still wake the uploader.
  }
}

/** Sends a message to the active worker. */
export async function postToWorker(message: PageMessage): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.ready;
  reg.active?.postMessage(message);
}

/**
 * Asks the worker to upload now. Background Sync is preferred: it also fires later, when the link
 * returns, with every page closed. Where it is missing the worker is asked directly.
 */
export async function requestUpload(reason: string): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.ready;
  const sync = (reg as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync;
  if (sync) {
    try {
      await sync.register(SYNC_TAG);
    } catch {
      // Sync can be refused (e.g. disabled by policy); the direct message below still works.
    }
  }
  await postToWorker({ type: 'drain', reason });
}

/** Subscribes to the worker's announcements; returns an unsubscribe function. */
export function onWorkerMessage(listener: (message: WorkerMessage) => void): () => void {
  const channel = new BroadcastChannel(CHANNEL_NAME);
  channel.onmessage = (event: MessageEvent<WorkerMessage>) => listener(event.data);
  return () => channel.close();
}
