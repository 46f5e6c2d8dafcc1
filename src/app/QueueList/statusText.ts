import type { QueueItem } from '../../shared/types.ts';
import { formatEta, formatTime } from '../format.ts';

const LABELS = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  paused: 'Paused',
  uploaded: 'Uploaded',
  failed: 'Failed',
} as const;

/** The status label a crew member sees. */
export function statusLabel(item: QueueItem): string {
  if (item.status === 'uploaded' && item.viaRelay) return item.ashoreAt == null ? 'On board' : 'Ashore';
  return LABELS[item.status];
}

/** Why the item is in its state, in plain words; empty when nothing needs saying. */
export function statusDetail(
  item: QueueItem,
  online: boolean,
  running: boolean,
  checked: number | null = null,
): string {
  switch (item.status) {
    case 'failed':
      return item.lastError ?? 'Stopped for a reason the app did not record; Retry sends it again.';
    case 'paused':
      return item.waitReason === 'duplicate'
        ? 'same content as a file already in the queue; remove it or upload it anyway'
        : 'stopped by you; Resume goes on from where it stopped';
    case 'uploading':
      return 'being sent now';
    case 'uploaded':
      if (item.viaRelay && item.ashoreAt == null)
        return `waiting to go ashore${item.relayNote ? `: ${item.relayNote}` : ''}`;
      if (item.releasedAt !== null) return 'Removed from this device: the server holds it';
      return item.keepLocalCopy ? 'A copy is kept on this device' : 'Still on this device';
  }
  if (item.waitReason === 'checking')
    return `checking the file on this device before sending${checked === null ? '' : ` (${Math.floor(checked * 100)}%)`}`;
  const reason = online || item.waitReason === 'signed-out' ? item.waitReason : 'offline';
  switch (reason) {
    case 'offline':
      return 'no connection to shore; continues by itself when the link returns';
    case 'backoff':
      return item.notBefore
        ? `server trouble; retrying at ${formatTime(item.notBefore)}`
        : 'server trouble; retrying soon';
    case 'signed-out':
      return 'waits until this device is signed in (see above)';
    case 'runner-stopped':
      return 'the uploader stopped for a moment; continues by itself';
    case 'budget-day':
      return 'today’s data budget is used up; continues after midnight, or raise it in Settings';
    case 'budget-month':
      return 'this month’s data budget is used up; continues on the 1st, or raise it in Settings';
    case 'metered':
      return 'too large to send on a metered link; waits until the link is no longer marked metered';
    case 'save-data':
      return 'too large to send while this device’s data saver is on; waits until it is off';
    default:
      return running ? 'in line behind the files above' : 'in line; the uploader starts in a moment';
  }
}

/**
 * The time left on a row: for the file being sent, its own; for a file in line, when it should be
 * done. `seconds` is undefined when no estimate can be made: the file being sent then says so, and a
 * file in line says nothing.
 */
export function etaText(item: Pick<QueueItem, 'status'>, seconds: number | undefined): string {
  if (item.status === 'uploading')
    return seconds === undefined ? 'time left unknown' : `${formatEta(seconds)} left`;
  if (item.status === 'waiting' && seconds !== undefined) return `done in ${formatEta(seconds)}`;
  return '';
}
