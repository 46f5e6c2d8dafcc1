/// <reference lib="WebWorker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { isPageMessage, SYNC_TAG } from '../shared/messages.ts';
import { hasPendingWork, requestSync, runQueue } from './runner.ts';

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null }>;
};

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Deep links open the app shell offline; server paths never do.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/files\//, /^\/api\//, /^\/healthz/, /^\/metrics/],
  }),
);

self.addEventListener('install', () => {
  // The first install takes over at once; later versions wait until the user accepts the update.
  if (!self.registration.active) void self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim().then(wake));
});

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(runQueue('sync'));
});

self.addEventListener('message', (event) => {
  if (!isPageMessage(event.data)) return;
  if (event.data.type === 'skip-waiting') void self.skipWaiting();
  if (event.data.type === 'drain') event.waitUntil(runQueue(`page:${event.data.reason}`));
});

self.addEventListener('online', () => void wake());

/** Every start of the worker is a chance to upload: ask for a sync, or run now where sync is missing. */
async function wake(): Promise<void> {
  if (!(await hasPendingWork())) return;
  if (!(await requestSync())) await runQueue('wake');
}

void wake();
