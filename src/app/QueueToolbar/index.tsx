import { useState } from 'preact/hooks';
import { formatRate } from '../../shared/linkEstimator.ts';
import type { Pace, QueueTotals } from '../../shared/queueView.ts';
import { costOf, formatMoney } from '../../shared/spendLedger.ts';
import { formatBytes, formatEta } from '../format.ts';
import { useLinkSettings } from '../linkSettingsState.ts';
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

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Files and bytes still to send and when they should all be ashore, in one line. */
function toSendLine(totals: QueueTotals, pace: Pace | null, doneIn: number, online: boolean): string {
  if (!totals.toSend) return 'Nothing left to send.';
  const what = `${plural(totals.toSend, 'file')} to send · ${formatBytes(totals.bytesLeft)} left`;
  if (pace) return `${what} · all done in ${formatEta(doneIn)} at ${formatRate(pace.bytesPerSec)}`;
  return `${what} · time left unknown ${online ? 'until the link’s speed is measured' : 'while offline'}`;
}

/** Data and money spent on the link today, as the worker counts it. */
function SpendToday() {
  const { settings, spend } = useLinkSettings();
  if (!settings) return null;
  const money =
    settings.pricePerGB > 0
      ? ` (${formatMoney(costOf(spend.todayBytes, settings.pricePerGB, settings.currency), settings.currency)})`
      : '';
  return (
    <p class="spend-today">
      Data used today: {formatBytes(spend.todayBytes)}
      {money}
    </p>
  );
}

/** Totals above the list and the controls for the whole queue. */
export function QueueToolbar(props: {
  totals: QueueTotals;
  pace: Pace | null;
  /** Seconds until every file that goes by itself should be done (see finishTimes). */
  doneIn: number;
  online: boolean;
  storage: StorageState | null;
  anyActive: boolean;
  anyPaused: boolean;
}) {
  const { totals } = props;
  const [hours, setHours] = useState(24);
  const stopped = [
    totals.heldBack && `${totals.heldBack} held back`,
    totals.paused && `${totals.paused} paused`,
    totals.failed && `${totals.failed} failed`,
  ].filter(Boolean);
  return (
    <div class="queue-toolbar">
      <p class="totals">
        <strong>{toSendLine(totals, props.pace, props.doneIn, props.online)}</strong>
        {stopped.length > 0 && <span class="not-counted">Not counted above: {stopped.join(' · ')}.</span>}
      </p>
      <SpendToday />
      <StorageLine storage={props.storage} />
      <div class="actions">
        <button type="button" class="secondary" disabled={!props.anyActive} onClick={() => void pauseAll()}>
          Pause all
        </button>
        <button type="button" class="secondary" disabled={!props.anyPaused} onClick={() => void resumeAll()}>
          Resume all
        </button>
        <button
          type="button"
          class="secondary"
          disabled={!totals.failed}
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
              onInput={(e) => setHours(Math.max(0, Number((e.currentTarget as HTMLInputElement).value) || 0))}
            />{' '}
            hours
          </label>
        </span>
      </div>
    </div>
  );
}
