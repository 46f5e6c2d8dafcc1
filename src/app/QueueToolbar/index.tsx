import { useState } from 'preact/hooks';
import { bytesWasted, type QueueItemView } from '../../shared/types.ts';
import { formatBytes } from '../format.ts';
import { clearUploaded, pauseAll, resumeAll, retryAllFailed } from '../queueState.ts';

/** Whole-queue controls and totals. */
export function QueueToolbar({ items }: { items: QueueItemView[] }) {
  const [hours, setHours] = useState(24);
  const count = (status: QueueItemView['status']) => items.filter((i) => i.status === status).length;
  const sent = items.reduce((n, i) => n + i.bytesSent, 0);
  const kept = items.reduce((n, i) => n + i.bytesConfirmed, 0);
  const wasted = items.reduce((n, i) => n + bytesWasted(i), 0);
  const active = count('waiting') + count('uploading');
  return (
    <div class="queue-toolbar">
      <p class="totals">
        {count('uploaded')} uploaded · {active} to go · {count('paused')} paused · {count('failed')} failed ·
        sent {formatBytes(sent)} · kept {formatBytes(kept)} · wasted {formatBytes(wasted)}
      </p>
      <div class="actions">
        <button type="button" class="secondary" disabled={!active} onClick={() => void pauseAll()}>
          Pause all
        </button>
        <button type="button" class="secondary" disabled={!count('paused')} onClick={() => void resumeAll()}>
          Resume all
        </button>
        <button
          type="button"
          class="secondary"
          disabled={!count('failed')}
          onClick={() => void retryAllFailed()}
        >
          Retry failed
        </button>
        <span class="clear">
          <button type="button" class="secondary" onClick={() => void clearUploaded(hours)}>
            Clear uploaded
          </button>{' '}
          <label>
            older than{' '}
            <input
              type="number"
              min={0}
              value={hours}
              style={{ width: '4em' }}
              onInput={(e) => setHours(Math.max(0, Number((e.currentTarget as HTMLInputElement).value) || 0))}
            />{' '}
            hours
          </label>
        </span>
      </div>
    </div>
  );
}
