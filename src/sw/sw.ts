/// <reference lib="WebWorker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { isPageMessage, SYNC_TAG } from '../shared/messages.ts';
import {
  checkAshore,
  checkOnWake,
  forgetBackoff,
  interrupt,
  nudge,
  queueStore,
  requestSync,
  runQueue,
  settingsChanged,
  syncNeedsRetry,
  terminate,
} from './runner.ts';
import { rules } from './settings.ts';
import { receiveShare, SHARE_PATH } from './shareTarget.ts';

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null }>;
};

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Deep links open the app shell offline; server paths and the relay operator's page never do.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/files\//, /^\/api\//, /^\/healthz/, /^\/metrics/, /^\/relay(\/|\.|$)/],
  }),
);

registerRoute(
  ({ url, request }) => request.method === 'POST' && url.pathname === SHARE_PATH,
  async ({ request, event }) => {
    const response = await receiveShare(request, queueStore);
    (event as ExtendableEvent).waitUntil(requestSync().then((ok) => (ok ? undefined : runQueue('share'))));
    return response;
  },
  'POST',
);

self.addEventListener('install', () => {
  // The first install takes over at once; later versions wait until the user accepts the update.
  if (!self.registration.active) void self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim().then(wake));
});

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(syncRun());
});

/** A run for a sync event; fails the event when work remains that no later sync was asked for. */
async function syncRun(): Promise<void> {
  const result = await runQueue('sync', { waitForLock: true });
  if (await syncNeedsRetry(result)) {
    console.info('[tender] work remains and no page is open: failing this sync so the browser retries it');
    throw new Error('Uploads remain; retry this sync');
  }
}

self.addEventListener('periodicsync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(runQueue('periodic').then(() => undefined));
});

self.addEventListener('message', (event) => {
  const message = event.data;
  if (!isPageMessage(message)) return;
  switch (message.type) {
    case 'SKIP_WAITING':
      void self.skipWaiting();
      break;
    case 'drain':
      nudge();
      if (message.reason === 'online') event.waitUntil(forgetBackoff().then(() => runQueue('page:online')));
      else event.waitUntil(runQueue(`page:${message.reason}`));
      break;
    case 'interrupt':
      interrupt(message.id);
      break;
    case 'terminate':
      event.waitUntil(terminate(message.uploadUrl));
      break;
    case 'settings-changed':
      event.waitUntil(settingsChanged());
      break;
    case 'check-ashore':
      event.waitUntil(checkAshore().then(() => undefined));
      break;
  }
});

self.addEventListener('online', () => void forgetBackoff().then(wake));

/**
 * Every start of the worker is a chance to upload: ask for a sync, or run now where sync is missing;
 * and to learn which files an on-board relay has since sent ashore.
 */
async function wake(): Promise<void> {
  if (!(await checkOnWake())) return;
  if (!(await requestSync())) await runQueue('wake');
}

void rules.load();
void wake();
