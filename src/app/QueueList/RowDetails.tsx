import { useState } from 'preact/hooks';
import { bytesWasted, type QueueItem, waitedMs } from '../../shared/types.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { pauseItem, removeItem, setPriority } from '../queueState.ts';
import { TagEditor } from '../TagEditor/index.tsx';
import { DataSaverNote } from './DataSaverNote.tsx';

/** Priority, cancel and remove for one file; pause, resume and retry are on the row itself. */
function RowControls({ item }: { item: QueueItem }) {
  const [asking, setAsking] = useState(false);
  const active = item.status === 'waiting' || item.status === 'uploading';
  if (asking) {
    return (
      <fieldset class="row-controls">
        <legend>Cancel {item.name}?</legend>
        <button type="button" onClick={() => void pauseItem(item.id).then(() => setAsking(false))}>
          Stop for now
        </button>
        <button type="button" class="danger" onClick={() => void removeItem(item.id)}>
          Remove for good
        </button>
        <button type="button" class="secondary" onClick={() => setAsking(false)}>
          Keep going
        </button>
      </fieldset>
    );
  }
  return (
    <div class="row-controls">
      {item.status !== 'uploaded' && (
        <label>
          Priority{' '}
          <select
            value={item.priority}
            aria-label={`Priority of ${item.name}`}
            onChange={(e) => void setPriority(item.id, Number((e.currentTarget as HTMLSelectElement).value))}
          >
            {Array.from({ length: 10 }, (_, i) => 10 - i).map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      )}
      {(active || item.status === 'paused') && (
        <button type="button" class="secondary" onClick={() => setAsking(true)}>
          Cancel
        </button>
      )}
      {(item.status === 'uploaded' || item.status === 'failed') && (
        <button type="button" class="secondary" onClick={() => void removeItem(item.id)}>
          Remove
        </button>
      )}
    </div>
  );
}

/** What a row shows when opened: its counters, notes and the rarer controls. */
export function RowDetails({ item, id }: { item: QueueItem; id: string }) {
  const counters: [string, string][] = [
    ['Tries', String(item.tries)],
    ['Sent', formatBytes(item.bytesSent)],
    ['Kept', formatBytes(item.bytesConfirmed)],
    ['Wasted', formatBytes(bytesWasted(item))],
    ['Waited', formatDuration(waitedMs(item, Date.now()))],
  ];
  if (item.lastError) counters.push(['Last error', item.lastError]);
  return (
    <div id={id} class="row-details">
      <dl class="counters">
        {counters.map(([term, value]) => (
          <div key={term} data-counter={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {item.restarts > 0 && (
        <p class="note">
          Sent again from the start{item.restarts > 1 ? ` (${item.restarts} times)` : ''}: the server had lost
          the partial upload.
        </p>
      )}
      <DataSaverNote item={item} />
      <RowControls item={item} />
      <TagEditor item={item} />
    </div>
  );
}
