import { uploadIdOf } from './shoreStage.ts';
import type { QueueItem } from './types.ts';

/** What to tell the crew when a batch has gone ashore. */
export interface AshoreNotice {
  title: string;
  body: string;
}

/**
 * When a file reached shore, as far as this device knows: when the server said so (at once for a
 * server ashore, at the end of its forward for an on-board relay); null while it is on board or the
 * server was not yet asked. A file the server cannot be asked about (no upload id) counts from upload.
 */
export function arrivedAt(item: Readonly<QueueItem>): number | null {
  if (item.status !== 'uploaded') return null;
  if (item.ashoreAt != null) return item.ashoreAt;
  return uploadIdOf(item.uploadUrl) === null ? item.uploadedAt : null;
}

/**
 * The notice once the queue is empty of work and files have arrived since `since` (the last
 * notice): null while anything still waits or uploads (the batch is not ashore yet), or when
 * nothing new arrived. Files still on board a relay are not counted until they are ashore. Paused
 * and failed files do not hold it back; the body names them.
 */
export function ashoreNotice(items: readonly QueueItem[], since: number): AshoreNotice | null {
  if (items.some((i) => i.status === 'waiting' || i.status === 'uploading')) return null;
  const arrived = items.filter((i) => (arrivedAt(i) ?? 0) > since);
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
