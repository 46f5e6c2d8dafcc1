import type { QueueItemView } from '../../shared/types.ts';
import { formatBytes } from '../format.ts';
import { statusDetail, statusLabel } from './statusText.ts';

/** One row of the queue: name, size, progress and status with its reason. */
function QueueRow({ item, online }: { item: QueueItemView; online: boolean }) {
  const detail = statusDetail(item, online);
  return (
    <li class={`queue-item status-${item.status}`} data-id={item.id} aria-label={item.name}>
      <div class="queue-item-head">
        <span class="name">{item.name}</span>
        <span class="size">{formatBytes(item.size)}</span>
      </div>
      <progress
        value={item.size === 0 ? (item.status === 'uploaded' ? 1 : 0) : item.bytesConfirmed}
        max={item.size === 0 ? 1 : item.size}
        aria-label={`${item.name} progress`}
      />
      <div class="queue-item-foot">
        <span class="status" data-status={item.status}>
          {statusLabel(item)}
        </span>
        {detail && <span class="detail">{detail}</span>}
        <span class="bytes">
          {formatBytes(item.bytesConfirmed)} of {formatBytes(item.size)}
        </span>
      </div>
    </li>
  );
}

/** The upload queue, highest priority and oldest first. */
export function QueueList({
  items,
  loaded,
  online,
}: {
  items: QueueItemView[];
  loaded: boolean;
  online: boolean;
}) {
  return (
    <section aria-labelledby="queue-heading">
      <h2 id="queue-heading">Upload queue</h2>
      {loaded && items.length === 0 && <p class="empty">Nothing queued. Add files to send them ashore.</p>}
      <ul class="queue" aria-label="Upload queue">
        {items.map((item) => (
          <QueueRow key={item.id} item={item} online={online} />
        ))}
      </ul>
    </section>
  );
}
