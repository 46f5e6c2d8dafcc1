import { type AshoreNotice, arrivedAt, ashoreNotice } from '../shared/ashore.ts';
import type { QueueItem } from '../shared/types.ts';

declare const self: ServiceWorkerGlobalScope;

/** The notice replaces its predecessor rather than piling up. */
const TAG = 'tender-ashore';

/** Files ashore before this were told of already (kept in memory; a restarted worker starts from its start). */
let toldUpTo = Date.now();

/**
 * Tells the crew, by a system notification, when a batch has gone ashore: only where they allowed
 * notifications, and only with no page of the app in sight (an open page shows it already).
 */
export async function tellIfAshore(items: readonly QueueItem[]): Promise<AshoreNotice | null> {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return null;
  const notice = ashoreNotice(items, toldUpTo);
  if (!notice) return null;
  const pages = await self.clients.matchAll({ type: 'window' });
  if (pages.some((p) => p.visibilityState === 'visible')) return null;
  toldUpTo = Math.max(...items.map((i) => arrivedAt(i) ?? 0));
  await self.registration.showNotification(notice.title, {
    body: notice.body,
    tag: TAG,
    icon: '/icons/icon-192.png',
  });
  return notice;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window' }).then((pages) => {
      const open = pages[0];
      return open ? open.focus() : self.clients.openWindow('/');
    }),
  );
});
