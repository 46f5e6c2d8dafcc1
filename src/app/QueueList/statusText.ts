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
export function statusDetail(
  item: QueueItem,
  online: boolean,
  running: boolean,
  checked: number | null = null,
): string {
  if (item.status === 'failed') return item.lastError ?? 'Unknown error';
  if (item.status === 'paused' && item.waitReason === 'duplicate')
    return 'same content as a file already in the queue; remove it or upload it anyway';
  if (item.status !== 'waiting') return '';
  if (item.waitReason === 'checking')
    return `checking the file on this device before sending${checked === null ? '' : ` (${Math.floor(checked * 100)}%)`}`;
  const reason = online || item.waitReason === 'signed-out' ? item.waitReason : 'offline';
  switch (reason) {
    case 'offline':
      return 'no connection to shore; continues by itself when the link returns';
    case 'backoff':
      return item.notBefore ? `server trouble; retrying at ${formatTime(item.notBefore)}` : 'retrying soon';
    case 'signed-out':
      return 'waits until this device is signed in (see above)';
    case 'runner-stopped':
      return 'continues in a moment';
    case 'budget-day':
      return 'today’s data budget is used up; continues after midnight, or raise the budget under Link and data budget';
    case 'budget-month':
      return 'this month’s data budget is used up; continues on the 1st, or raise the budget under Link and data budget';
    case 'metered':
      return 'too large to send on a metered link; waits until the link is no longer marked metered';
    case 'save-data':
      return 'too large to send while this device’s data saver is on; waits until it is off';
    default:
      return running ? 'in line' : 'waiting for the uploader to start';
  }
}
