import type { QueueItem } from '../../shared/types.ts';
import { formatTime } from '../format.ts';

const LABELS = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  paused: 'Paused',
  uploaded: 'Uploaded',
  failed: 'Failed',
} as const;

/** The status label a crew member sees. */
export function statusLabel(item: QueueItem): string {
  return LABELS[item.status];
}

/** Why the item is in its state, in plain words; empty when nothing needs saying. */
export function statusDetail(item: QueueItem, online: boolean, running: boolean): string {
  if (item.status === 'failed') return item.lastError ?? 'Unknown error';
  if (item.status !== 'waiting') return '';
  const reason = online || item.waitReason === 'signed-out' ? item.waitReason : 'offline';
  switch (reason) {
    case 'offline':
      return 'no connection to shore; continues by itself when the link returns';
    case 'backoff':
      return item.notBefore ? `server trouble; retrying at ${formatTime(item.notBefore)}` : 'retrying soon';
    case 'signed-out':
      return item.lastError ?? 'This device must be signed in again.';
    case 'runner-stopped':
      return 'continues in a moment';
    default:
      return running ? 'in line' : 'waiting for the uploader to start';
  }
}
