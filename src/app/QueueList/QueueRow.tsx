import { useLayoutEffect, useRef } from 'preact/hooks';
import { bytesOnServer } from '../../shared/queueView.ts';
import type { QueueItem, UploadStatus } from '../../shared/types.ts';
import { formatBytes } from '../format.ts';
import { pure } from '../pure.ts';
import { pauseItem, resumeItem, retryItem } from '../queueState.ts';
import { fileBadge } from './fileBadge.ts';
import { RowDetails } from './RowDetails.tsx';
import { etaText, statusDetail, statusLabel } from './statusText.ts';
import { useThumbnail } from './thumbnails.ts';

/** A small picture of an image file, or its kind in letters. */
function Thumbnail({ item }: { item: QueueItem }) {
  const url = useThumbnail(item);
  return (
    <span class="thumb" aria-hidden="true">
      {url ? (
        <img src={url} alt="" decoding="async" width={48} height={48} />
      ) : (
        <span class="badge">{fileBadge(item)}</span>
      )}
    </span>
  );
}

/** The one action a row offers without opening it, by status: pause, resume or retry. */
const MAIN_ACTION: Partial<Record<UploadStatus, [string, (id: string) => Promise<void>]>> = {
  waiting: ['Pause', pauseItem],
  uploading: ['Pause', pauseItem],
  paused: ['Resume', resumeItem],
  failed: ['Retry', retryItem],
};

function MainAction({ item }: { item: QueueItem }) {
  const action = MAIN_ACTION[item.status];
  if (!action) return <span class="action-space" />;
  const [label, act] = action;
  return (
    <button
      type="button"
      class="secondary"
      aria-label={`${label} ${item.name}`}
      onClick={() => void act(item.id)}
    >
      {label}
    </button>
  );
}

/**
 * One file in the queue: what it is, where it is and why, and its time left; details on a tap.
 * Rendered again only when its own props change, not on every scroll of the list.
 */
export const QueueRow = pure(function QueueRow(props: {
  item: QueueItem;
  position: number;
  setSize: number;
  online: boolean;
  running: boolean;
  live: number | undefined;
  storageFull: string | undefined;
  /** How far the file's check on this device has got (0–1), while it runs. */
  checked: number | undefined;
  /** Seconds until the file should be done, when that can be known. */
  eta: number | undefined;
  /** Height of the row while closed, in px (see rowHeight.ts). */
  height: number;
  open: boolean;
  onToggle: (id: string) => void;
  /** Told how much taller than a closed row this row is while open. */
  onMeasure: (extra: number) => void;
}) {
  const { item, live, storageFull, open, onMeasure, height } = props;
  const ref = useRef<HTMLLIElement>(null);
  const onServer = bytesOnServer(item, live);
  const eta = etaText(item, props.eta);
  const detail = statusDetail(item, props.online, props.running, props.checked ?? null);
  const label = statusLabel(item);
  const onBoard = label === 'On board';
  const detailsId = `details-${item.id}`;

  // While open, the list needs its height (details grow when Cancel asks, for one).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!open || !el) return;
    const observer = new ResizeObserver(() => onMeasure(el.offsetHeight - height));
    observer.observe(el);
    return () => observer.disconnect();
  }, [open, onMeasure, height]);

  return (
    <li
      ref={ref}
      class={`queue-item status-${item.status}`}
      data-id={item.id}
      aria-label={item.name}
      aria-posinset={props.position}
      aria-setsize={props.setSize}
    >
      <div class="row-main" style={{ height: `${height}px` }}>
        <Thumbnail item={item} />
        <div class="row-text">
          <span class="name" title={item.name}>
            {item.name}
          </span>
          <div class="queue-item-foot">
            <span class="status" data-status={item.status} data-on-board={onBoard || undefined}>
              {label}
            </span>{' '}
            {storageFull ? (
              <span class="storage-full" role="alert">
                {storageFull}
              </span>
            ) : (
              detail && <span class="detail">{detail}</span>
            )}
          </div>
          <span class="bytes">
            {formatBytes(onServer)} of <span class="size">{formatBytes(item.size)}</span>
            {eta && <span class="eta"> · {eta}</span>}
          </span>
          <progress
            value={item.size === 0 ? (item.status === 'uploaded' ? 1 : 0) : onServer}
            max={item.size === 0 ? 1 : item.size}
            aria-label={`${item.name} progress`}
          />
        </div>
        <div class="row-actions">
          <MainAction item={item} />
          <button
            type="button"
            class="disclosure"
            aria-expanded={open}
            aria-controls={open ? detailsId : undefined}
            aria-label={`Details of ${item.name}`}
            onClick={() => props.onToggle(item.id)}
          >
            Details
          </button>
        </div>
      </div>
      {open && <RowDetails item={item} id={detailsId} />}
    </li>
  );
});
