import { useState } from 'preact/hooks';
import { bytesWasted, type QueueItem } from '../../shared/types.ts';
import { formatBytes } from '../format.ts';
import { clearUploaded, pauseAll, resumeAll, retryAllFailed } from '../queueState.ts';
import type { StorageState } from '../storageState.ts';

/** What the app holds on this device, against what the browser allows it. */
function StorageLine({ storage }: { storage: StorageState | null }) {
  if (!storage) return <p class="storage">This browser does not say how much storage the app may use.</p>;
  return (
    <p class="storage">
      On this device: {formatBytes(storage.usage)} used of {formatBytes(storage.quota)} allowed ·{' '}
      {storage.persisted ? 'kept safe from clean-up' : 'the browser may clear it when space runs low'}
    </p>
  );
}

/** Whole-queue controls and totals. */
export function QueueToolbar({ items, storage }: { items: QueueItem[]; storage: StorageState | null }) {
  const [hours, setHours] = useState(24);
  const count = (status: QueueItem['status']) => items.filter((i) => i.status === status).length;
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
      <StorageLine storage={storage} />
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
