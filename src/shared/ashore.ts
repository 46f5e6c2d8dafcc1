import type { QueueItem } from './types.ts';

/** What to tell the crew when a batch has gone ashore. */
export interface AshoreNotice {
  title: string;
  body: string;
}

/**
 * The notice once the queue is empty of work and files have arrived since `since` (the last
 * notice): null while anything still waits or uploads (the batch is not ashore yet), or when
 * nothing new arrived. Paused and failed files do not hold it back; the body names them.
 */
export function ashoreNotice(items: readonly QueueItem[], since: number): AshoreNotice | null {
  if (items.some((i) => i.status === 'waiting' || i.status === 'uploading')) return null;
  const arrived = items.filter((i) => i.status === 'uploaded' && (i.uploadedAt ?? 0) > since);
  if (!arrived.length) return null;
  const first = arrived[0]?.name ?? '';
  const what = arrived.length === 1 ? first : `${arrived.length} files`;
  const left = items.filter((i) => i.status === 'paused' || i.status === 'failed').length;
  const rest = left ? ` ${left} other${left === 1 ? ' is' : 's are'} paused or failed.` : '';
  return {
    title: 'Files ashore',
    body: `${what} ${arrived.length === 1 ? 'has' : 'have'} reached shore.${rest}`,
  };
}
