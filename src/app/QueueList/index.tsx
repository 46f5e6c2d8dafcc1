import { useCallback, useMemo, useRef, useState } from 'preact/hooks';
import type { LinkSnapshot } from '../../shared/linkEstimator.ts';
import {
  allDoneIn,
  filterCounts,
  filterItems,
  finishTimes,
  paceOf,
  QUEUE_FILTERS,
  type QueueFilter,
  queueTotals,
} from '../../shared/queueView.ts';
import type { QueueItem } from '../../shared/types.ts';
import { QueueToolbar } from '../QueueToolbar/index.tsx';
import type { StorageState } from '../storageState.ts';
import { QueueRow } from './QueueRow.tsx';
import { useRowHeight } from './rowHeight.ts';
import { useVirtualRows } from './useVirtualRows.ts';

const FILTER_LABELS: Record<QueueFilter, string> = {
  all: 'All',
  waiting: 'Waiting',
  uploaded: 'Uploaded',
  failed: 'Failed',
};

/** All / Waiting / Uploaded / Failed, each with its count. */
function Filters(props: {
  counts: Record<QueueFilter, number>;
  shown: QueueFilter;
  onChange: (f: QueueFilter) => void;
}) {
  return (
    <fieldset class="filters">
      <legend class="sr-only">Show</legend>
      {QUEUE_FILTERS.map((f) => (
        <button
          key={f}
          type="button"
          class="filter"
          aria-pressed={props.shown === f}
          onClick={() => props.onChange(f)}
        >
          {FILTER_LABELS[f]} <span class="count">{props.counts[f]}</span>
        </button>
      ))}
    </fieldset>
  );
}

/** The upload queue, highest priority and oldest first: totals, filters and a list that stays quick at thousands of files. */
export function QueueList(props: {
  items: QueueItem[];
  live: Record<string, number>;
  storageFull: Record<string, string>;
  /** Files being checked on this device, and how far (0–1). */
  checking: Record<string, number>;
  loaded: boolean;
  online: boolean;
  running: boolean;
  link: LinkSnapshot | null;
  storage: StorageState | null;
}) {
  const { items, live, storageFull, checking, loaded, online, running } = props;
  const [filter, setFilter] = useState<QueueFilter>('all');
  const [openId, setOpenId] = useState<string | null>(null);
  const [openExtra, setOpenExtra] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);

  const pace = paceOf(props.link, online);
  const times = useMemo(
    () => finishTimes(items, live, pace),
    [items, live, pace?.bytesPerSec, pace?.perFileSec],
  );
  const totals = useMemo(() => queueTotals(items, live), [items, live]);
  const counts = useMemo(() => filterCounts(items), [items]);
  const shown = useMemo(() => filterItems(items, filter), [items, filter]);

  const openIndex = openId === null ? -1 : shown.findIndex((i) => i.id === openId);
  const open = openIndex < 0 ? null : { index: openIndex, extra: openExtra };
  const rowHeight = useRowHeight();
  const range = useVirtualRows(listRef, shown.length, rowHeight, open);

  const toggle = useCallback((id: string) => setOpenId((current) => (current === id ? null : id)), []);
  const measured = useCallback(
    (extra: number) => setOpenExtra((prev) => (prev === extra ? prev : extra)),
    [],
  );

  return (
    <section aria-labelledby="queue-heading">
      <h2 id="queue-heading">Upload queue</h2>
      <QueueToolbar
        totals={totals}
        pace={pace}
        doneIn={allDoneIn(times)}
        online={online}
        storage={props.storage}
        anyPaused={totals.paused > 0}
        anyActive={items.some((i) => i.status === 'waiting' || i.status === 'uploading')}
      />
      <Filters counts={counts} shown={filter} onChange={setFilter} />
      {loaded && shown.length === 0 && (
        <p class="empty">
          {filter === 'all'
            ? 'Nothing queued. Add files to send them ashore.'
            : `No ${FILTER_LABELS[filter].toLowerCase()} files.`}
        </p>
      )}
      <ul
        ref={listRef}
        class="queue"
        aria-label="Upload queue"
        style={{ paddingTop: `${range.padTop}px`, paddingBottom: `${range.padBottom}px` }}
      >
        {shown.slice(range.start, range.end).map((item, i) => (
          <QueueRow
            key={item.id}
            item={item}
            position={range.start + i + 1}
            setSize={shown.length}
            online={online}
            running={running}
            live={live[item.id]}
            storageFull={storageFull[item.id]}
            checked={checking[item.id]}
            eta={times.get(item.id)}
            height={rowHeight}
            open={item.id === openId}
            onToggle={toggle}
            onMeasure={measured}
          />
        ))}
      </ul>
    </section>
  );
}
