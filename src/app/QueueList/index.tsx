import { useState } from 'preact/hooks';
import { bytesWasted, type QueueItem, waitedMs } from '../../shared/types.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { pauseItem, removeItem, resumeItem, retryItem, setPriority } from '../queueState.ts';
import { TagEditor } from '../TagEditor/index.tsx';
import { statusDetail, statusLabel } from './statusText.ts';

/** Pause, resume, cancel, retry and remove for one file. */
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
      {active && (
        <button type="button" class="secondary" onClick={() => void pauseItem(item.id)}>
          Pause
        </button>
      )}
      {item.status === 'paused' && (
        <button type="button" onClick={() => void resumeItem(item.id)}>
          Resume
        </button>
      )}
      {item.status === 'failed' && (
        <button type="button" onClick={() => void retryItem(item.id)}>
          Retry
        </button>
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

/** One row of the queue: name, size, progress, status with its reason, counters and controls. */
function QueueRow(props: {
  item: QueueItem;
  online: boolean;
  running: boolean;
  live: number | undefined;
  storageFull: string | undefined;
  checked: number | undefined;
}) {
  const { item, online, running, live, storageFull } = props;
  const detail = statusDetail(item, online, running, props.checked ?? null);
  const onServer = Math.min(item.size, Math.max(item.bytesConfirmed, live ?? 0));
  const wasted = bytesWasted(item);
  return (
    <li class={`queue-item status-${item.status}`} data-id={item.id} aria-label={item.name}>
      <div class="queue-item-head">
        <span class="name">{item.name}</span>
        <span class="size">{formatBytes(item.size)}</span>
      </div>
      <progress
        value={item.size === 0 ? (item.status === 'uploaded' ? 1 : 0) : onServer}
        max={item.size === 0 ? 1 : item.size}
        aria-label={`${item.name} progress`}
      />
      <div class="queue-item-foot">
        <span class="status" data-status={item.status}>
          {statusLabel(item)}
        </span>
        {detail && <span class="detail">{detail}</span>}
        <span class="bytes">
          {formatBytes(onServer)} of {formatBytes(item.size)}
        </span>
      </div>
      <div class="counters">
        priority {item.priority} · tries {item.tries} · sent {formatBytes(item.bytesSent)} · kept{' '}
        {formatBytes(item.bytesConfirmed)}
        {wasted > 0 && <> · wasted {formatBytes(wasted)}</>} · waited{' '}
        {formatDuration(waitedMs(item, Date.now()))}
      </div>
      {storageFull && (
        <div class="storage-full" role="alert">
          {storageFull}
        </div>
      )}
      {item.status === 'uploaded' && (
        <div class="local-copy">
          {item.releasedAt !== null
            ? 'Removed from this device: the server holds it.'
            : item.keepLocalCopy
              ? 'A copy is kept on this device.'
              : 'Still on this device.'}
        </div>
      )}
      {item.restarts > 0 && (
        <div class="note">
          Sent again from the start{item.restarts > 1 ? ` (${item.restarts} times)` : ''}: the server had lost
          the partial upload.
        </div>
      )}
      <RowControls item={item} />
      <TagEditor item={item} />
    </li>
  );
}

/** The upload queue, highest priority and oldest first. */
export function QueueList(props: {
  items: QueueItem[];
  live: Record<string, number>;
  storageFull: Record<string, string>;
  /** Files being checked on this device, and how far (0–1). */
  checking: Record<string, number>;
  loaded: boolean;
  online: boolean;
  running: boolean;
}) {
  const { items, live, storageFull, checking, loaded, online, running } = props;
  return (
    <section aria-labelledby="queue-heading">
      <h2 id="queue-heading">Upload queue</h2>
      {loaded && items.length === 0 && <p class="empty">Nothing queued. Add files to send them ashore.</p>}
      <ul class="queue" aria-label="Upload queue">
        {items.map((item) => (
          <QueueRow
            key={item.id}
            item={item}
            online={online}
            running={running}
            live={live[item.id]}
            storageFull={storageFull[item.id]}
            checked={checking[item.id]}
          />
        ))}
      </ul>
    </section>
  );
}
