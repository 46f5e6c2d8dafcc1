import { IdbSettingsStore } from '../shared/db/IdbSettingsStore.ts';
import type { LinkHints } from '../shared/linkEstimator.ts';
import { LinkWatch } from '../shared/linkWatch.ts';
import { timerClock } from '../shared/timerClock.ts';
import type { SignalLike } from '../shared/types.ts';
import { announce } from './bridge.ts';
import { rules } from './settings.ts';

declare const self: ServiceWorkerGlobalScope;

/** The Network Information API where the browser has it (Chromium; not Safari or Firefox). */
interface NetworkInformation extends EventTarget {
  effectiveType?: string;
  downlink?: number;
  rtt?: number;
  saveData?: boolean;
}

const connection = (navigator as WorkerNavigator & { connection?: NetworkInformation }).connection;

/** The browser's hints, read now. */
function readHints(): LinkHints {
  return {
    online: navigator.onLine,
    effectiveType: connection?.effectiveType,
    downlinkMbps: connection?.downlink,
    rttMs: connection?.rtt,
    saveData: connection?.saveData,
  };
}

/** A fetch signal that ends with `signal` or after `ms`. */
function fetchSignal(signal: SignalLike, ms: number): AbortSignal {
  const own = new AbortController();
  if (signal.aborted) own.abort();
  else signal.addEventListener('abort', () => own.abort());
  return AbortSignal.any([own.signal, AbortSignal.timeout(ms)]);
}

/** What the worker knows about the link, learned from its own traffic; restored from its last start. */
export const link = new LinkWatch({
  clock: timerClock({ setTimeout, clearTimeout }),
  probe: async (signal, timeoutMs) => {
    const res = await fetch(new URL('/probe', self.location.origin), {
      cache: 'no-store',
      signal: fetchSignal(signal, timeoutMs),
    });
    return (await res.text()).length;
  },
  hints: readHints,
  snapshots: new IdbSettingsStore(),
  show: (snapshot) => announce({ type: 'link', link: snapshot }),
  spent: (bytes, kind) => rules.count(bytes, kind),
});
void link.restore();

const onNetworkChange = () => link.networkChanged();
connection?.addEventListener('change', onNetworkChange);
self.addEventListener('online', onNetworkChange);
self.addEventListener('offline', onNetworkChange);
